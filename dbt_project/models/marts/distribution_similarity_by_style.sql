{#-
    Bravansky et al. Table 1 per run: the mean distribution similarity over the questions of a
    country × prompt language × style × strategy × variant, its bootstrap interval, and the
    share of unclassifiable answers. See the yml.
-#}
{%- set group_key = run_version_key() + ['country', 'prompt_language', 'style', 'strategy', 'variant'] -%}
{%- set level = wvs_metric_setting('distribution_ci_level') | float -%}
{%- set units = '1e18' -%}
{%- set fixed_point = 'cast(round(similarity * ' ~ units ~ ') as hugeint)' -%}

with

items as (select * from {{ ref('distribution_similarity') }}),

distances as (

    select
        distances.* exclude (country),
        distances.reference_country as country
    from {{ ref('int_wvs_culturespa_distributions_bootstrapped') }} as distances

),

replicates as (select * from {{ ref('int_wvs_culturespa_distribution_replicates') }}),

-- the questions of a style group (run × … × variant × compared country) are pooled per
-- replicate; the heavy steps key on integers (style_id)
style_groups as (

    select
        {{ group_key | join(',\n        ') }},
        dense_rank() over (order by {{ group_key | join(', ') }}) as style_id
    from (select distinct {{ group_key | join(', ') }} from distances)

),

item_vectors as (

    select
        style_groups.style_id,
        distances.group_id,
        distances.weights_key,
        distances.is_point_estimate,
        distances.n_contents,
        distances.similarity
    from distances
    inner join style_groups
        on {{ null_safe_join('distances', 'style_groups', group_key) }}

),

-- one replicate of the mean = the mean over questions of that replicate (the questions are
-- resampled independently: a bootstrap stratified by question). A question whose answers
-- are all alike is the same in every replicate; the others are looked up per replicate.
-- Sums are exact (similarities in fixed point, units of 1e-18, summed as hugeint), so they do
-- not depend on the order a parallel aggregate adds in: a rebuild gives the same bits.
question_counts as (

    select
        style_id,
        count(*) as n_questions,
        coalesce(sum({{ fixed_point }}) filter (where n_contents = 1), 0) as constant_units,
        count(*) filter (where n_contents > 1) as n_varying
    from item_vectors
    where is_point_estimate
    group by style_id

),

varying_sums as (

    select
        item_vectors.style_id,
        replicates.replicate,
        sum({{ fixed_point }}) as varying_units
    from item_vectors
    inner join replicates
        on {{ equi_join('item_vectors', 'replicates', ['group_id', 'weights_key']) }}
    where item_vectors.n_contents > 1
    group by item_vectors.style_id, replicates.replicate

),

replicate_means as (

    select
        question_counts.style_id,
        varying_sums.replicate,
        cast(question_counts.constant_units + varying_sums.varying_units as double)
            / {{ units }} / question_counts.n_questions as mean_similarity
    from question_counts
    inner join varying_sums on question_counts.style_id = varying_sums.style_id

),

style_intervals as (

    select
        style_id,
        count(*) as n_bootstrap,
        false as is_constant,
        quantile_cont(mean_similarity, {{ (1 - level) / 2 }}) as similarity_ci_low,
        quantile_cont(mean_similarity, {{ (1 + level) / 2 }}) as similarity_ci_high
    from replicate_means
    group by style_id

    union all

    -- every question alike in every replicate: the replicates all give the point estimate
    -- (mean_similarity, filled in below)
    select
        style_id,
        {{ wvs_metric_setting('distribution_bootstrap_replicates') | int }} as n_bootstrap,
        true as is_constant,
        cast(null as double) as similarity_ci_low,
        cast(null as double) as similarity_ci_high
    from question_counts
    where n_varying = 0
      and {{ wvs_metric_setting('distribution_bootstrap_replicates') | int }} > 0

),

intervals as (

    select style_groups.* exclude (style_id), style_intervals.* exclude (style_id)
    from style_intervals
    inner join style_groups on style_intervals.style_id = style_groups.style_id

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

joined as (

    select
        summarised.*,
        case
            when intervals.is_constant then summarised.mean_similarity else intervals.similarity_ci_low
        end as similarity_ci_low,
        case
            when intervals.is_constant then summarised.mean_similarity else intervals.similarity_ci_high
        end as similarity_ci_high,
        {{ level }} as ci_level,
        coalesce(intervals.n_bootstrap, 0) as n_bootstrap,
        case
            when summarised.n_answers - summarised.n_error > 0
                then summarised.n_unclassifiable / (summarised.n_answers - summarised.n_error)
        end as unclassifiable_rate,
        case when summarised.n_items_scored = 0 then 'no_scored_item' end as null_reason
    from summarised
    left join intervals
        on {{ null_safe_join('summarised', 'intervals', group_key) }}

),

final as (

    select
        {{ contract_casts() }}
    from joined

)

select * from final
