{#-
    Bravansky et al. Table 1 per run: the mean distribution similarity over the questions of a
    country × prompt language × style × strategy × variant, its bootstrap interval, and the
    share of unclassifiable answers. See the yml.
-#}
{%- set group_key = [
    'run_id', 'model', 'model_version', 'instrument_version', 'parser_version', 'country',
    'prompt_language', 'style', 'strategy', 'variant',
] -%}
{%- set level = wvs_metric_setting('distribution_ci_level') | float -%}

with

items as (

    select * from {{ ref('distribution_similarity') }}

),

distances as (

    select
        distances.* exclude (country),
        distances.reference_country as country
    from {{ ref('int_wvs_culturespa_distributions_bootstrapped') }} as distances

),

-- one replicate of the mean = the mean over questions of that replicate (the questions are
-- resampled independently: a bootstrap stratified by question)
replicate_means as (

    select
        {{ group_key | join(', ') }},
        replicate,
        list_avg(list(similarity order by item_id)) as mean_similarity
    from distances
    where replicate > 0
    group by all

),

intervals as (

    select
        {{ group_key | join(',\n        ') }},
        count(*) as n_bootstrap,
        quantile_cont(mean_similarity, {{ (1 - level) / 2 }}) as similarity_ci_low,
        quantile_cont(mean_similarity, {{ (1 + level) / 2 }}) as similarity_ci_high
    from replicate_means
    group by all

),

summarised as (

    select
        {{ group_key | join(',\n        ') }},
        any_value(is_persona_free) as is_persona_free,
        list_avg(list(similarity order by item_id) filter (where similarity is not null)) as mean_similarity,
        count(similarity) as n_items_scored,
        count(*) as n_items,
        sum(n_answers) as n_answers,
        sum(n_valid) as n_valid,
        sum(n_unclassifiable) as n_unclassifiable,
        sum(n_error) as n_error
    from items
    group by {{ group_key | join(', ') }}

),

final as (

    select
        cast(summarised.run_id as varchar) as run_id,
        cast(summarised.model as varchar) as model,
        cast(summarised.model_version as varchar) as model_version,
        cast(summarised.instrument_version as varchar) as instrument_version,
        cast(summarised.parser_version as varchar) as parser_version,
        cast(summarised.country as varchar) as country,
        cast(summarised.is_persona_free as boolean) as is_persona_free,
        cast(summarised.prompt_language as varchar) as prompt_language,
        cast(summarised.style as varchar) as style,
        cast(summarised.strategy as varchar) as strategy,
        cast(summarised.variant as varchar) as variant,
        cast(summarised.mean_similarity as double) as mean_similarity,
        cast(intervals.similarity_ci_low as double) as similarity_ci_low,
        cast(intervals.similarity_ci_high as double) as similarity_ci_high,
        cast({{ level }} as double) as ci_level,
        cast(coalesce(intervals.n_bootstrap, 0) as integer) as n_bootstrap,
        cast(summarised.n_items_scored as integer) as n_items_scored,
        cast(summarised.n_items as integer) as n_items,
        cast(summarised.n_answers as integer) as n_answers,
        cast(summarised.n_valid as integer) as n_valid,
        cast(summarised.n_unclassifiable as integer) as n_unclassifiable,
        cast(summarised.n_error as integer) as n_error,
        cast(case
            when summarised.n_answers - summarised.n_error > 0
                then summarised.n_unclassifiable / (summarised.n_answers - summarised.n_error)
        end as double) as unclassifiable_rate,
        cast(case when summarised.n_items_scored = 0 then 'no_scored_item' end as varchar) as null_reason
    from summarised
    left join intervals
        on {{ null_safe_join('summarised', 'intervals', group_key) }}

)

select * from final
