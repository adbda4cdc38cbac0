{#-
    Deviation ratio (Sukiennik et al. Eq. 1), per run × country × setting × style ×
    strategy × variant × dimension:

        DR = mean_d |GT_d - mean_c GT_d|  /  mean_t Difference_t
        Difference_t = mean_d |score_{d,t} - GT_d|

    t runs over the passes of the setting: the trials of one prompt language, or every
    (prompt language, trial) pair for 'language_average'. The formula is written once, in
    macros/deviation_ratio.sql, which the bootstrap replicates share.

    Per-dimension rows: d is the row's dimension; t runs over the passes with a score on it.
    'overall' rows: d runs over D*, the dimensions that have ground truth for the country
    and a score in every pass of the group; t runs over every pass of the group. A
    dimension is unscored in a pass when any of its 4 items lacks a valid answer (VSM
    manual), so one unparseable item drops that dimension from D*, not the whole pass.

    Unstable DRs: a denominator (mean |score - GT|) below var dr_unstable_below_difference score
    points (default 5) makes the ratio explode on a difference smaller than one answer step of
    the VSM formulas (4.8-7.7 points), so is_unstable flags it; its value stays, its readers say so.

    Undefined DRs are NULL with a reason, in this order:
      per dimension  no_ground_truth, no_scored_trial (no pass has a score), zero_difference
      overall        no_ground_truth (none for any dimension), no_scored_dimension
                     (D* empty), zero_difference
-#}
{{ incremental_by_run_config("stored_run_fingerprints(ref('int_vsm_dimension_scores_computed'))") }}
{%- set group_key = ['run_id', 'model', 'model_version', 'country', 'setting', 'style', 'strategy', 'variant'] -%}
{#- Incremental by run: DR of a run depends only on that run's scores and the seeds, so a
    build recomputes the runs whose scores changed upstream (run_source_files) or whose
    normalisation / ground-truth source differs from the current vars, and replaces them.
    The fingerprints are read from int_vsm_dimension_scores_computed, the table behind the
    int_vsm_scores_settings_assigned view (same runs and counts, without expanding settings);
    a run that left upstream (quarantined) is deleted by the post-hook. -#}
{%- set runs = runs_to_process(
        stored_run_fingerprints(ref('int_vsm_dimension_scores_computed')),
        [
            "normalisation = '" ~ var('vsm_normalisation') ~ "'",
            "ground_truth_source = (select any_value(ground_truth_source) from "
                ~ ref('int_hofstede_ground_truth_unpivoted') ~ ")",
        ],
    ) -%}

with

scores as (select * from {{ ref('int_vsm_scores_settings_assigned') }} where {{ run_id_filter(runs) }}),
ground_truth as (select * from {{ ref('int_hofstede_ground_truth_unpivoted') }}),

-- one row per DR group (everything but the dimension)
dr_groups as (

    select
        {{ group_key | join(',\n        ') }},
        any_value(normalisation) as normalisation,
        max(run_source_files) as run_source_files
    from scores
    group by {{ group_key | join(', ') }}

),

dimensions as (

    select distinct dimension from scores

),

-- |score - GT| per pass and dimension with ground truth (null where the score is null)
pass_differences as (

    select
        {{ qualified('scores', group_key) }},
        scores.prompt_language,
        scores.trial,
        scores.dimension,
        ground_truth.deviation_from_global_average,
        abs(scores.score - ground_truth.ground_truth) as difference
    from scores
    inner join ground_truth
        on {{ equi_join('scores', 'ground_truth', ['country', 'dimension']) }}

),

-- ---------------------------------------------------------------- per dimension

-- Difference_t for one dimension: the passes with a score on it
dimension_denominators as (

    select
        {{ group_key | join(',\n        ') }},
        dimension,
        {{ ordered_avg('difference', 'prompt_language, trial') }} as mean_difference,
        count(*) as n_trials,
        count(distinct prompt_language) as n_prompt_languages
    from pass_differences
    where difference is not null
    group by {{ group_key | join(', ') }}, dimension

),

dimension_rows as (

    select
        dr_groups.*,
        dimensions.dimension,
        ground_truth.deviation_from_global_average,
        dimension_denominators.mean_difference,
        case
            when ground_truth.deviation_from_global_average is null then 'no_ground_truth'
            when dimension_denominators.mean_difference is null then 'no_scored_trial'
        end as null_reason,
        {{ counts_or_zero('dimension_denominators', ['n_trials', 'n_prompt_languages']) }},
        case when ground_truth.country is not null then 1 else 0 end as n_dimensions
    from dr_groups
    cross join dimensions
    left join ground_truth
        on dr_groups.country = ground_truth.country
        and dimensions.dimension = ground_truth.dimension
    left join dimension_denominators
        on {{ null_safe_join('dr_groups', 'dimension_denominators', group_key) }}
        and dimensions.dimension = dimension_denominators.dimension

),

-- ---------------------------------------------------------------- overall

-- D*: dimensions with ground truth scored in every pass of the group
scored_dimensions as (

    {{ scored_in_every_pass('pass_differences', group_key, 'difference') }}

),

-- Eq. 1 over D*: one row per (dimension of D*, pass) of the group (every pass has a score on
-- every dimension of D*)
overall_means as (

    select
        {{ qualified('pass_differences', group_key) }},
        {{ deviation_ratio_means(
            'pass_differences.deviation_from_global_average',
            'pass_differences.difference',
            'pass_differences.dimension, pass_differences.prompt_language, pass_differences.trial',
        ) }},
        count(distinct pass_differences.dimension) as n_dimensions,
        count(distinct (pass_differences.prompt_language, pass_differences.trial)) as n_trials,
        count(distinct pass_differences.prompt_language) as n_prompt_languages
    from pass_differences
    inner join scored_dimensions
        on {{ null_safe_join('pass_differences', 'scored_dimensions', group_key) }}
        and pass_differences.dimension = scored_dimensions.dimension
    group by {{ qualified('pass_differences', group_key) }}

),

countries_with_ground_truth as (

    select distinct country from ground_truth

),

overall_rows as (

    select
        dr_groups.*,
        'overall' as dimension,
        overall_means.deviation_from_global_average,
        overall_means.mean_difference,
        {{ counts_or_zero('overall_means', ['n_trials', 'n_prompt_languages', 'n_dimensions']) }},
        case
            when countries_with_ground_truth.country is null then 'no_ground_truth'
            when overall_means.n_dimensions is null then 'no_scored_dimension'
        end as null_reason
    from dr_groups
    left join countries_with_ground_truth
        on dr_groups.country = countries_with_ground_truth.country
    left join overall_means
        on {{ null_safe_join('dr_groups', 'overall_means', group_key) }}

),

joined as (

    select * from overall_rows
    union all by name
    select * from dimension_rows

),

-- the last null reason, for both kinds of row: the denominator is zero
reasoned as (

    select
        * replace (
            coalesce(null_reason, case when mean_difference = 0 then 'zero_difference' end) as null_reason
        )
    from joined

),

ratios as (

    select
        *,
        {{ deviation_ratio('deviation_from_global_average', 'mean_difference') }} as deviation_ratio,
        null_reason is null and mean_difference < {{ var('dr_unstable_below_difference') }}
            as is_unstable,
        (select any_value(ground_truth_source) from ground_truth) as ground_truth_source
    from reasoned

),

final as (

    select
        {{ contract_casts() }}
    from ratios

)

select * from final
