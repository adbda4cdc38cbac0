{#-
    Self-consistency (docs/metrics.md): the mean pairwise Pearson correlation between the answer
    vectors of a group's units (trials or prompt variants; see int_self_consistency_vectors).
    See the yml for every null reason.
-#}
{%- set group_key = [
    'run_id', 'model', 'model_version', 'instrument', 'country', 'prompt_language', 'style',
    'strategy', 'variant', 'basis',
] -%}
{%- set min_points = wvs_metric_setting('correlation_min_points') -%}

with

vectors as (select * from {{ ref('int_self_consistency_vectors') }}),
human_reference as (select * from {{ ref('wvs_polarity_self_consistency') }}),

groups as (

    select
        {{ group_key | join(',\n        ') }},
        count(distinct unit) as n_units,
        max(temperature) as max_temperature,
        coalesce(bool_or(is_shared_answer), false) as has_shared_answers
    from vectors
    group by {{ group_key | join(', ') }}

),

pairs as (

    select
        {{ qualified('unit_a', group_key) }},
        unit_a.unit as unit_a,
        unit_b.unit as unit_b,
        count(*) as n_points,
        {{ correlation_null_reason('unit_a.value', 'unit_b.value', min_points) }} as null_reason,
        {{ pearson_or_null('unit_a.value', 'unit_b.value', min_points) }} as pearson
    from vectors as unit_a
    inner join vectors as unit_b
        on {{ null_safe_join('unit_a', 'unit_b', group_key + ['point']) }}
        and unit_a.unit < unit_b.unit
    group by all

),

pair_summary as (

    select
        {{ group_key | join(',\n        ') }},
        avg(pearson) as mean_pearson,
        count(pearson) as n_pairs,
        count(*) - count(pearson) as n_pairs_undefined,
        count(*) filter (where null_reason = 'constant_vector') as n_pairs_constant,
        min(n_points) as min_points_per_pair
    from pairs
    group by {{ group_key | join(', ') }}

),

humans_by_language as (

    select
        language_code,
        avg(gt_self_consistency) as human_reference,
        string_agg(country_code, ',' order by country_code) as human_reference_countries
    from human_reference
    group by language_code

),

joined as (

    select
        groups.*,
        {{ counts_or_zero('pair_summary', ['n_pairs', 'n_pairs_undefined', 'n_pairs_constant']) }},
        pair_summary.min_points_per_pair,
        pair_summary.mean_pearson,
        case
            when groups.n_units < 2 and groups.basis = 'trials' then 'fewer_than_two_trials'
            when groups.n_units < 2 then 'fewer_than_two_variants'
            when groups.basis = 'trials' and (groups.max_temperature = 0 or groups.has_shared_answers)
                then 'deterministic_trials'
            when coalesce(pair_summary.n_pairs, 0) = 0 and coalesce(pair_summary.n_pairs_constant, 0) > 0
                then 'constant_vector'
            when coalesce(pair_summary.n_pairs, 0) = 0 then 'too_few_points'
        end as null_reason,
        humans_by_language.human_reference,
        humans_by_language.human_reference_countries
    from groups
    left join pair_summary
        on {{ null_safe_join('groups', 'pair_summary', group_key) }}
    left join humans_by_language
        on groups.instrument = 'wvs_polarity'
        and groups.prompt_language = humans_by_language.language_code

),

scored as (

    select
        *,
        'mean_pairwise_pearson' as method,
        case when null_reason is null then mean_pearson end as self_consistency
    from joined

),

final as (

    select
        {{ contract_casts() }}
    from scored

)

select * from final
