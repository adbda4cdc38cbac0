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
    for both runs). rho* is the mart's own formula (macro weighted_spearman) with every topic
    weighted by how often it was drawn: a topic drawn m times is m tied points. Null with fewer
    than correlation_min_points points (counting repeats) or a constant vector, as in the mart.
-#}
{%- set min_points = wvs_metric_setting('correlation_min_points') -%}
{%- set group = ['pair_id', 'side', 'run_id', 'metric', 'prompt_language', 'country', 'replicate'] -%}

with

{{ regression_pair_runs('wvs_polarity') }},

topics as (select * from {{ ref('int_wvs_polarity_topics_scored') }}),

polarity_truth as (

    select * from {{ ref('wvs_polarity') }}
    where level = 'country'
        and source_file = '{{ wvs_metric_setting("polarity_country_source_file") }}'

),

-- each topic the run was asked, against every local reference country with a truth for it
asked as (

    select
        {{ pair_run_columns() }},
        topics.prompt_language,
        polarity_truth.country_code as country,
        topics.item_id,
        topics.polarity,
        polarity_truth.pro_score
    from topics
    {{ in_pair_runs_of_metric('topics', 'wvs_polarity') }}
    inner join polarity_truth
        on topics.item_id = polarity_truth.question_key
        and topics.prompt_language = polarity_truth.language_code

),

population as (

    {{ bootstrap_population('asked') }}

),

{{ bootstrap_item_multiplicities('population', ['pair_id', 'country'], "'wvs_polarity|' || country") }},

-- each drawn topic once, weighted by how often it was drawn (replicate 0: every topic once)
points as (

    select
        {{ replicate_cell_columns('asked') }},
        multiplicities.replicate,
        multiplicities.multiplicity,
        asked.polarity,
        asked.pro_score
    from asked
    inner join population
        on {{ equi_join('asked', 'population', ['pair_id', 'country', 'item_id']) }}
    inner join multiplicities
        on {{ equi_join('population', 'multiplicities', ['pair_id', 'country', 'item_index']) }}
    where asked.polarity is not null

),

-- the mart's Spearman (macro weighted_spearman), every point weighted by its multiplicity
{{ weighted_spearman('points', group, 'polarity', 'pro_score', 'multiplicity', min_points) }},

final as (

    select pair_id, side, run_id, metric, country, prompt_language, replicate, rho as value
    from correlated

)

select * from final
