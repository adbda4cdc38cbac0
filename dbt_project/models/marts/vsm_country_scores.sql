{#-
    VSM 2013 dimension scores pivoted to one row per questionnaire pass. Incremental by run:
    only the runs whose scores changed upstream (run_source_files) or whose normalisation is
    not the current var are re-pivoted and replaced (delete+insert on run_id); a run that left
    upstream (quarantined) is deleted by the post-hook.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='run_id',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_runs_missing_upstream(stored_run_fingerprints(ref('int_vsm_dimension_scores_computed'))) }}",
    )
}}
{%- set runs = runs_to_process(
        stored_run_fingerprints(ref('int_vsm_dimension_scores_computed')),
        ["normalisation = '" ~ var('vsm_normalisation') ~ "'"],
    ) -%}

with

scores as (

    select * from {{ ref('int_vsm_dimension_scores_computed') }}
    where {{ run_id_filter(runs) }}

),

pivoted as (

    select
        run_id,
        model,
        model_version,
        instrument_version,
        parser_version,
        country,
        prompt_language,
        style,
        strategy,
        variant,
        trial,
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
        cast(run_id as varchar) as run_id,
        cast(model as varchar) as model,
        cast(model_version as varchar) as model_version,
        cast(instrument_version as varchar) as instrument_version,
        cast(parser_version as varchar) as parser_version,
        cast(country as varchar) as country,
        cast(prompt_language as varchar) as prompt_language,
        cast(style as varchar) as style,
        cast(strategy as varchar) as strategy,
        cast(variant as varchar) as variant,
        cast(trial as integer) as trial,
        cast(pdi as double) as pdi,
        cast(idv as double) as idv,
        cast(mas as double) as mas,
        cast(uai as double) as uai,
        cast(lto as double) as lto,
        cast(ivr as double) as ivr,
        cast(n_valid as integer) as n_valid,
        cast(n_items_expected as integer) as n_items_expected,
        cast(normalisation as varchar) as normalisation,
        cast(run_source_files as bigint) as run_source_files
    from pivoted

)

select * from final
