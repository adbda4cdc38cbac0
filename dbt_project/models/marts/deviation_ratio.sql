{#-
    Deviation ratio (Sukiennik et al. Eq. 1), per run × country × setting × style ×
    strategy × variant × dimension:

        DR = mean_d |GT_d - mean_c GT_d|  /  mean_t Difference_t
        Difference_t = mean_d |score_{d,t} - GT_d|

    d runs over the dimensions with ground truth for the country ('overall'), or over the
    one dimension of the row; t runs over the usable passes of the setting: the trials of
    one prompt language, or every (prompt language, trial) pair for 'language_average'.
    A pass is usable when it has a score on every needed dimension. Undefined DRs are NULL
    with a reason, in this order: no_ground_truth, no_complete_trial, zero_difference.
-#}
{%- set group_key = ['run_id', 'model', 'model_version', 'country', 'setting', 'style', 'strategy', 'variant'] -%}

with

scores as (

    select * from {{ ref('int_vsm_scores_settings_assigned') }}

),

ground_truth as (

    select * from {{ ref('int_hofstede_ground_truth_unpivoted') }}

),

-- one row per DR group (everything but the dimension)
dr_groups as (

    select distinct
        {{ group_key | join(',\n        ') }},
        normalisation
    from scores

),

dimensions as (

    select 'overall' as dimension
    union all
    select distinct dimension from scores

),

-- numerator per country: one dimension, or the mean over all its dimensions with ground truth
numerators as (

    select
        country,
        dimension,
        deviation_from_global_average,
        1 as n_dimensions
    from ground_truth

    union all

    select
        country,
        'overall' as dimension,
        avg(deviation_from_global_average) as deviation_from_global_average,
        count(*) as n_dimensions
    from ground_truth
    group by country

),

-- |score - GT| per pass and dimension with ground truth (null where the score is null)
pass_differences as (

    select
        {% for column in group_key %}scores.{{ column }},
        {% endfor -%}
        scores.prompt_language,
        scores.trial,
        scores.dimension,
        abs(scores.score - ground_truth.ground_truth) as difference
    from scores
    inner join ground_truth
        on scores.country = ground_truth.country
        and scores.dimension = ground_truth.dimension

),

-- Difference_t for one dimension: passes with a score on it
dimension_passes as (

    select
        {{ group_key | join(',\n        ') }},
        prompt_language,
        trial,
        dimension,
        difference
    from pass_differences
    where difference is not null

),

-- Difference_t over all dimensions with ground truth: passes scored on every one of them
overall_passes as (

    select
        {{ group_key | join(',\n        ') }},
        prompt_language,
        trial,
        'overall' as dimension,
        avg(difference) as difference
    from pass_differences
    group by {{ group_key | join(', ') }}, prompt_language, trial
    having count(difference) = count(*)

),

denominators as (

    select
        {{ group_key | join(',\n        ') }},
        dimension,
        avg(difference) as mean_difference,
        count(*) as n_trials,
        count(distinct prompt_language) as n_prompt_languages
    from (
        select * from dimension_passes
        union all
        select * from overall_passes
    ) as usable_passes
    group by {{ group_key | join(', ') }}, dimension

),

joined as (

    select
        {% for column in group_key %}dr_groups.{{ column }},
        {% endfor -%}
        dimensions.dimension,
        numerators.deviation_from_global_average,
        denominators.mean_difference,
        coalesce(denominators.n_trials, 0) as n_trials,
        coalesce(denominators.n_prompt_languages, 0) as n_prompt_languages,
        coalesce(numerators.n_dimensions, 0) as n_dimensions,
        case
            when numerators.deviation_from_global_average is null then 'no_ground_truth'
            when denominators.mean_difference is null then 'no_complete_trial'
            when denominators.mean_difference = 0 then 'zero_difference'
        end as null_reason,
        dr_groups.normalisation
    from dr_groups
    cross join dimensions
    left join numerators
        on dr_groups.country = numerators.country
        and dimensions.dimension = numerators.dimension
    left join denominators
        on {{ null_safe_join('dr_groups', 'denominators', group_key) }}
        and dimensions.dimension = denominators.dimension

),

final as (

    select
        cast(run_id as varchar) as run_id,
        cast(model as varchar) as model,
        cast(model_version as varchar) as model_version,
        cast(country as varchar) as country,
        cast(setting as varchar) as setting,
        cast(style as varchar) as style,
        cast(strategy as varchar) as strategy,
        cast(variant as varchar) as variant,
        cast(dimension as varchar) as dimension,
        cast(
            case
                when null_reason is null
                    then deviation_from_global_average / mean_difference
            end as double
        ) as deviation_ratio,
        cast(deviation_from_global_average as double) as deviation_from_global_average,
        cast(mean_difference as double) as mean_difference,
        cast(n_trials as integer) as n_trials,
        cast(n_prompt_languages as integer) as n_prompt_languages,
        cast(n_dimensions as integer) as n_dimensions,
        cast(null_reason as varchar) as null_reason,
        cast((select any_value(ground_truth_source) from ground_truth) as varchar)
            as ground_truth_source,
        cast(normalisation as varchar) as normalisation
    from joined

)

select * from final
