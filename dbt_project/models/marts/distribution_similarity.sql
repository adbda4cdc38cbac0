{#-
    1 - Wasserstein distance between the model's and the human WVS answer distribution per
    question (Bravansky et al.), with a seeded percentile bootstrap interval and the counts
    behind it. See the yml.
-#}
{%- set group_key = distribution_group_key() -%}
{%- set level = wvs_metric_setting('distribution_ci_level') | float -%}

with

answers as (select * from {{ ref('int_wvs_culturespa_answers_coded') }} where in_culturespa_eval),
distances as (select * from {{ ref('int_wvs_culturespa_distributions_bootstrapped') }}),
culturespa_countries as (select * from {{ ref('culturespa_countries') }}),
human_answers as (select * from {{ ref('wvs_cultureSPA_answers') }}),

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

    select * from distances where is_point_estimate

),

-- the B replicates' similarities, each distinct one with how many replicates gave it
replicate_counts as (

    select
        {{ group_key | join(',\n        ') }},
        reference_country,
        similarity,
        n_replicates,
        sum(n_replicates) over (
            partition by group_id, reference_country
            order by similarity, weights_id rows between unbounded preceding and current row
        ) as cumulative_replicates,
        sum(n_replicates) over (partition by group_id, reference_country) as n_bootstrap
    from distances
    where n_replicates > 0

),

-- the percentile interval over the B replicates (quantile_cont of the expanded replicates)
intervals as (

    select
        {{ group_key | join(',\n        ') }},
        reference_country,
        any_value(n_bootstrap) as n_bootstrap,
        {{ percentile_of_counts('similarity', 'cumulative_replicates', 'n_bootstrap', (1 - level) / 2) }}
            as similarity_ci_low,
        {{ percentile_of_counts('similarity', 'cumulative_replicates', 'n_bootstrap', (1 + level) / 2) }}
            as similarity_ci_high
    from replicate_counts
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
        on {{ equi_join('group_references', 'human_asked', ['reference_country', 'item_id']) }}
    left join point_estimates
        on {{ null_safe_join('group_references', 'point_estimates', group_key) }}
        and group_references.reference_country = point_estimates.reference_country
    left join intervals
        on {{ null_safe_join('group_references', 'intervals', group_key) }}
        and group_references.reference_country = intervals.reference_country

),

-- the country a row is scored against stands in `country` (a persona-free row has one per country)
described as (

    select
        * replace (reference_country as country),
        {{ level }} as ci_level,
        {{ wvs_metric_setting('distribution_bootstrap_seed') | int }} as bootstrap_seed,
        case
            when n_answers - n_error > 0 then n_unclassifiable / (n_answers - n_error)
        end as unclassifiable_rate,
        case
            when not has_human_distribution then 'no_human_distribution'
            when n_valid = 0 then 'no_valid_answer'
        end as null_reason
    from joined

),

final as (

    select
        {{ contract_casts() }}
    from described

)

select * from final
