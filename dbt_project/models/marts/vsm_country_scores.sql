{#-
    VSM 2013 dimension scores pivoted to one row per questionnaire pass. Incremental by run:
    only the runs whose scores changed upstream (run_source_files) or whose normalisation is
    not the current var are re-pivoted and replaced (delete+insert on run_id); a run that left
    upstream (quarantined) is deleted by the post-hook.
-#}
{{ incremental_by_run_config("stored_run_fingerprints(ref('int_vsm_dimension_scores_computed'))") }}
{%- set runs = runs_to_process(
        stored_run_fingerprints(ref('int_vsm_dimension_scores_computed')),
        ["normalisation = '" ~ var('vsm_normalisation') ~ "'"],
    ) -%}

with

scores as (select * from {{ ref('int_vsm_dimension_scores_computed') }} where {{ run_id_filter(runs) }}),

pivoted as (

    select
        {{ vsm_trial_key() | join(',\n        ') }},
        max(score) filter (where dimension = 'pdi') as pdi,
        max(score) filter (where dimension = 'idv') as idv,
        max(score) filter (where dimension = 'mas') as mas,
        max(score) filter (where dimension = 'uai') as uai,
        max(score) filter (where dimension = 'lto') as lto,
        max(score) filter (where dimension = 'ivr') as ivr,
        any_value(n_valid) as n_valid,
        any_value(n_items_expected) as n_items_expected,
        any_value(normalisation) as normalisation,
        max(run_source_files) as run_source_files
    from scores
    group by {{ vsm_trial_key() | join(', ') }}

),

final as (

    select
        {{ contract_casts() }}
    from pivoted

)

select * from final
