{#-
    1 - Wasserstein distance between the model's and the human WVS answer distribution per
    question (Bravansky et al.), with a seeded percentile bootstrap interval and the counts
    behind it. See the yml.
-#}
{%- set group_key = [
    'run_id', 'model', 'model_version', 'instrument_version', 'parser_version', 'country',
    'prompt_language', 'style', 'strategy', 'variant', 'item_id',
] -%}
{%- set level = wvs_metric_setting('distribution_ci_level') | float -%}

with

answers as (

    select * from {{ ref('int_wvs_culturespa_answers_coded') }}
    where in_culturespa_eval

),

distances as (

    select * from {{ ref('int_wvs_culturespa_distributions_bootstrapped') }}

),

culturespa_countries as (

    select * from {{ ref('culturespa_countries') }}

),

human_answers as (

    select * from {{ ref('wvs_cultureSPA_answers') }}

),

human_asked as (

    select distinct culturespa_countries.country_code as reference_country, human_answers.q_id as item_id
    from human_answers
    inner join culturespa_countries on human_answers.country_code = culturespa_countries.iso3

),

group_counts as (

    select
        {{ group_key | join(',\n        ') }},
        count(*) as n_answers,
        count(*) filter (where answer_status = 'valid') as n_valid,
        count(*) filter (
            where answer_status in ('unparseable', 'refusal', 'missing_answer', 'out_of_range', 'bad_probs')
        ) as n_unclassifiable,
        count(*) filter (where answer_status = 'error') as n_error
    from answers
    group by {{ group_key | join(', ') }}

),

-- persona answers are compared with their own country, persona-free ones with every country
group_references as (

    select
        group_counts.*,
        group_counts.country is null as is_persona_free,
        coalesce(group_counts.country, culturespa_countries.country_code) as reference_country
    from group_counts
    left join culturespa_countries
        on group_counts.country is null

),

point_estimates as (

    select * from distances where replicate = 0

),

intervals as (

    select
        {{ group_key | join(',\n        ') }},
        reference_country,
        count(*) as n_bootstrap,
        quantile_cont(similarity, {{ (1 - level) / 2 }}) as similarity_ci_low,
        quantile_cont(similarity, {{ (1 + level) / 2 }}) as similarity_ci_high
    from distances
    where replicate > 0
    group by all

),

joined as (

    select
        group_references.*,
        human_asked.item_id is not null as has_human_distribution,
        point_estimates.similarity,
        point_estimates.wasserstein,
        intervals.similarity_ci_low,
        intervals.similarity_ci_high,
        coalesce(intervals.n_bootstrap, 0) as n_bootstrap
    from group_references
    left join human_asked
        on group_references.reference_country = human_asked.reference_country
        and group_references.item_id = human_asked.item_id
    left join point_estimates
        on {{ null_safe_join('group_references', 'point_estimates', group_key) }}
        and group_references.reference_country = point_estimates.reference_country
    left join intervals
        on {{ null_safe_join('group_references', 'intervals', group_key) }}
        and group_references.reference_country = intervals.reference_country

),

final as (

    select
        cast(run_id as varchar) as run_id,
        cast(model as varchar) as model,
        cast(model_version as varchar) as model_version,
        cast(instrument_version as varchar) as instrument_version,
        cast(parser_version as varchar) as parser_version,
        cast(reference_country as varchar) as country,
        cast(is_persona_free as boolean) as is_persona_free,
        cast(prompt_language as varchar) as prompt_language,
        cast(style as varchar) as style,
        cast(strategy as varchar) as strategy,
        cast(variant as varchar) as variant,
        cast(item_id as varchar) as item_id,
        cast(similarity as double) as similarity,
        cast(wasserstein as double) as wasserstein,
        cast(similarity_ci_low as double) as similarity_ci_low,
        cast(similarity_ci_high as double) as similarity_ci_high,
        cast({{ level }} as double) as ci_level,
        cast(n_bootstrap as integer) as n_bootstrap,
        cast({{ wvs_metric_setting('distribution_bootstrap_seed') | int }} as bigint) as bootstrap_seed,
        cast(n_answers as integer) as n_answers,
        cast(n_valid as integer) as n_valid,
        cast(n_unclassifiable as integer) as n_unclassifiable,
        cast(n_error as integer) as n_error,
        cast(case
            when n_answers - n_error > 0 then n_unclassifiable / (n_answers - n_error)
        end as double) as unclassifiable_rate,
        cast(case
            when not has_human_distribution then 'no_human_distribution'
            when n_valid = 0 then 'no_valid_answer'
        end as varchar) as null_reason
    from joined

)

select * from final
