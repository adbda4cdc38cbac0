{{ config(materialized='table') }}
{#-
    Paired-bootstrap replicates of the polarity Spearman (Rystrom et al.) of both runs of every
    comparable wvs_polarity version pair, per prompt language x local reference country (the
    countries whose language is the prompt language, as marts.value_polarity_alignment's
    `is_local` country rows), recomputed from the topic polarities
    (int_wvs_polarity_topics_scored). Replicate 0 is the identity draw and reproduces the mart
    (checked by a data test).

    Items = topics. For each pair and reference country, the population is the topics either run
    was asked in that language that have a WVS polarity for the country, ordered by topic key;
    replicate b draws as many with replacement (label `wvs_polarity|<country>`, the same draws
    for both runs). A topic drawn m times is m tied points: ranks are average ranks over the
    resampled multiset (ties share the mean of the ranks they span, as the mart ranks), and
    rho* is the Pearson correlation of the ranks with every point weighted by m. Null with fewer
    than correlation_min_points points (counting repeats) or a constant vector, as in the mart.
-#}
{%- set min_points = wvs_metric_setting('correlation_min_points') -%}
{%- set group = 'pair_id, side, run_id, metric, prompt_language, country, replicate' -%}

with

{{ regression_pair_runs('wvs_polarity') }},

topics as (

    select * from {{ ref('int_wvs_polarity_topics_scored') }}

),

polarity_truth as (

    select * from {{ ref('wvs_polarity') }}
    where level = 'country'
        and source_file = '{{ wvs_metric_setting("polarity_country_source_file") }}'

),

-- each topic the run was asked, against every local reference country with a truth for it
asked as (

    select
        pair_runs.pair_id,
        pair_runs.side,
        pair_runs.run_id,
        metrics.metric,
        topics.prompt_language,
        polarity_truth.country_code as country,
        topics.item_id,
        topics.polarity,
        polarity_truth.pro_score
    from topics
    inner join pair_runs on topics.run_id = pair_runs.run_id
    inner join metrics
        on topics.strategy = metrics.strategy
        and topics.style = metrics.style
    inner join polarity_truth
        on topics.item_id = polarity_truth.question_key
        and topics.prompt_language = polarity_truth.language_code

),

population as (

    select
        pair_id,
        country,
        item_id,
        row_number() over (partition by pair_id, country order by item_id) as item_index,
        count(*) over (partition by pair_id, country) as n_items
    from (select distinct pair_id, country, item_id from asked)

),

{{ bootstrap_item_multiplicities('population', ['pair_id', 'country'], "'wvs_polarity|' || country") }},

points as (

    select
        asked.pair_id,
        asked.side,
        asked.run_id,
        asked.metric,
        asked.prompt_language,
        asked.country,
        multiplicities.replicate,
        multiplicities.multiplicity,
        asked.polarity,
        asked.pro_score
    from asked
    inner join population
        on asked.pair_id = population.pair_id
        and asked.country = population.country
        and asked.item_id = population.item_id
    inner join multiplicities
        on population.pair_id = multiplicities.pair_id
        and population.country = multiplicities.country
        and population.item_index = multiplicities.item_index
    where asked.polarity is not null

),

-- average rank of a value among the m-weighted points: (points below) + (ties + 1) / 2
ranked as (

    select
        *,
        sum(multiplicity) over (partition by {{ group }} order by polarity range between unbounded preceding and current row)
            - sum(multiplicity) over (partition by {{ group }}, polarity)
            + (sum(multiplicity) over (partition by {{ group }}, polarity) + 1) / 2.0 as polarity_rank,
        sum(multiplicity) over (partition by {{ group }} order by pro_score range between unbounded preceding and current row)
            - sum(multiplicity) over (partition by {{ group }}, pro_score)
            + (sum(multiplicity) over (partition by {{ group }}, pro_score) + 1) / 2.0 as pro_score_rank
    from points

),

sums as (

    select
        {{ group }},
        sum(multiplicity) as n_points,
        min(polarity) = max(polarity) or min(pro_score) = max(pro_score) as is_constant,
        sum(multiplicity * polarity_rank) as sum_x,
        sum(multiplicity * pro_score_rank) as sum_y,
        sum(multiplicity * polarity_rank * polarity_rank) as sum_xx,
        sum(multiplicity * pro_score_rank * pro_score_rank) as sum_yy,
        sum(multiplicity * polarity_rank * pro_score_rank) as sum_xy
    from ranked
    group by {{ group }}

),

final as (

    select
        pair_id,
        side,
        run_id,
        metric,
        country,
        prompt_language,
        replicate,
        case
            when n_points >= {{ min_points }} and not is_constant
                then (n_points * sum_xy - sum_x * sum_y)
                    / sqrt((n_points * sum_xx - sum_x * sum_x) * (n_points * sum_yy - sum_y * sum_y))
        end as value
    from sums

)

select * from final
