{{ config(materialized='table') }}
{#-
    Every comparison of alignment_regressions with its diagnostics (replicate counts, the
    improvement-side test). One row per version pair x metric x country x prompt language that
    both runs have in alignment_history: country rows, and version-mean rows (country and
    prompt_language null) over the countries both runs have a value for. See
    alignment_regressions.yml for the rule; the arithmetic:

      sign        +1 when the metric is higher-is-better, else -1
      difference  sign * (value_after - value_before): negative = worse
      d*_b        sign * (after*_b - before*_b) on bootstrap replicate b = 1..B, over the replicates
                  where both runs' metric is defined (n_replicates); a version mean's d*_b is the
                  mean of its countries' d*_b. |d| below regression_zero_tolerance counts as 0.
                  Replicate values are bit-identical on a rebuild (fixed summation order), so
                  p, q, direction and the interval are too.
      p_value     (1 + #{b : d*_b >= 0}) / (1 + n_replicates): one-sided bootstrap p-value of
                  "not worse" (H0: the new version is not worse), the share of replicates where
                  the difference is not worse, with the +1 that keeps it a valid p-value (> 0).
                  Beyond the bootstrap's resolution — no replicate is not worse, so the share is
                  at its floor 1/(1 + B) — the tail is extrapolated with a normal fitted to the
                  replicates: p = Φ(mean d* / sd d*), capped at 1/(1 + B) and computed in log
                  space (macros/normal_cdf.sql), then floored at 1e-300 (p_value_floor()): it
                  never underflows to 0, however clear the regression (|z| = 100 gives
                  ln Φ ≈ -5005, so p = 1e-300). Without the extrapolation a lone clear regression
                  among ~100 comparisons could never reach q < alpha at B = 1000 (BH multiplies the
                  floor by the number of comparisons). With sd = 0 (every replicate identical)
                  the share's floor 1/(1 + B) stays.
      log10_p_value  log10 of p before the 1e-300 floor (the extrapolated tail's own value, e.g.
                  -2174 at |z| = 100): how far beyond any alerting threshold a regression is
      q_value     Benjamini-Hochberg over all comparable comparisons of the version pair
                  (model, previous_version, version; every metric and instrument) with a p_value
      p_improvement, q_improvement  the mirror test, (1 + #{b : d*_b <= 0}) / (1 + n_replicates),
                  BH-adjusted the same way; only used to call an `improvement`
      ci_low, ci_high  percentile interval of d*_b at regression_ci_level

    Like for like: `n` is what a value averages over (alignment_history: dimensions, questions,
    topics). A country row whose n differs between the two runs is not comparable when its
    metric's rule says same_coverage (the deviation ratio: 6 dimensions before and 5 after are
    two different quantities), with the reason `coverage: dimensions 6 -> 5`; it then leaves the
    version mean too. Otherwise it is compared and coverage_differs says so. A version mean's
    n_before and n_after are the countries it averages (the same ones on both sides).
-#}
{%- set level = regression_setting('regression_ci_level') | float -%}
{%- set tolerance = regression_setting('regression_zero_tolerance') | float -%}
{%- set family = 'model, previous_version, version' -%}

with

metrics as (select * from {{ ref('regression_thresholds') }}),
pairs as (select * from {{ ref('int_regression_version_pairs') }}),
history as (select * from {{ ref('alignment_history') }}),

replicates as (

    select * from {{ ref('int_regression_deviation_ratio_replicates') }}
    union all by name
    select * from {{ ref('int_regression_cas_replicates') }}
    union all by name
    select * from {{ ref('int_regression_polarity_replicates') }}

),

-- the metric keys both runs of a pair have
cells as (

    select
        pairs.pair_id,
        pairs.model,
        pairs.instrument,
        pairs.previous_version,
        pairs.version,
        pairs.previous_run_id,
        pairs.run_id,
        pairs.is_comparable
            and not (
                after.scope = 'country' and metrics.same_coverage and before.n is distinct from after.n
            ) as is_comparable,
        case
            when not pairs.is_comparable then pairs.not_comparable_reason
            when after.scope = 'country' and metrics.same_coverage and before.n is distinct from after.n
                then 'coverage: ' || after.n_unit || ' ' || coalesce(cast(before.n as varchar), 'none')
                    || ' -> ' || coalesce(cast(after.n as varchar), 'none')
        end as not_comparable_reason,
        pairs.detected_at,
        after.metric,
        after.scope,
        after.country,
        after.prompt_language,
        after.in_version_mean,
        before.value as value_before,
        after.value as value_after,
        before.n as n_before,
        after.n as n_after,
        after.n_unit,
        before.is_unstable or after.is_unstable as is_unstable,
        case when metrics.higher_is_better then 1 else -1 end as sign,
        metrics.threshold,
        metrics.alpha
    from pairs
    inner join history as before on pairs.previous_run_id = before.run_id
    inner join history as after
        on pairs.run_id = after.run_id
        and before.metric = after.metric
        and before.scope = after.scope
        and before.country is not distinct from after.country
        and before.prompt_language is not distinct from after.prompt_language
    inner join metrics on after.metric = metrics.metric

),

country_cells as (

    select * from cells
    where scope = 'country'

),

-- version means over the countries both runs have a value for
mean_cells as (

    select
        pair_id,
        metric,
        {{ ordered_avg('value_before', 'country, prompt_language') }} as value_before,
        {{ ordered_avg('value_after', 'country, prompt_language') }} as value_after,
        {{ ordered_avg('sign * (value_after - value_before)', 'country, prompt_language') }} as difference,
        count(*) as n_countries,
        bool_or(is_unstable) as is_unstable
    from country_cells
    where is_comparable
        and in_version_mean
        and value_before is not null
        and value_after is not null
    group by pair_id, metric

),

replicate_deltas as (

    select
        country_cells.pair_id,
        country_cells.metric,
        country_cells.country,
        country_cells.prompt_language,
        country_cells.in_version_mean,
        before_replicates.replicate,
        country_cells.sign * (after_replicates.value - before_replicates.value) as delta
    from country_cells
    {%- for side in ['before', 'after'] %}
    inner join replicates as {{ side }}_replicates
        on {{ side }}_replicates.side = '{{ side }}'
        {%- for column in ['pair_id', 'metric', 'country', 'prompt_language'] %}
        and country_cells.{{ column }} = {{ side }}_replicates.{{ column }}
        {%- endfor %}
        {%- if side == 'after' %}
        and before_replicates.replicate = after_replicates.replicate
        {%- endif %}
    {%- endfor %}
    where country_cells.is_comparable
        and country_cells.value_before is not null
        and country_cells.value_after is not null
        and before_replicates.replicate > 0
        and before_replicates.value is not null
        and after_replicates.value is not null

),

-- the comparisons' replicate differences: each country's, and each version mean's
deltas as (

    select pair_id, metric, country, prompt_language, replicate, delta
    from replicate_deltas

    union all

    select
        pair_id,
        metric,
        cast(null as varchar) as country,
        cast(null as varchar) as prompt_language,
        replicate,
        {{ ordered_avg('delta', 'country, prompt_language') }} as delta
    from replicate_deltas
    where in_version_mean
    group by pair_id, metric, replicate

),

replicate_stats as (

    select
        pair_id,
        metric,
        country,
        prompt_language,
        count(*) as n_replicates,
        count(*) filter (where abs(delta) < {{ tolerance }} or delta > 0) as n_not_worse,
        count(*) filter (where abs(delta) < {{ tolerance }} or delta < 0) as n_not_better,
        {{ ordered_avg('delta', 'replicate') }} as mean_delta,
        list_stddev_samp(list(delta order by replicate)) as sd_delta,
        quantile_cont(case when abs(delta) < {{ tolerance }} then 0 else delta end, {{ (1 - level) / 2 }}) as ci_low,
        quantile_cont(case when abs(delta) < {{ tolerance }} then 0 else delta end, {{ 1 - (1 - level) / 2 }}) as ci_high
    from deltas
    group by pair_id, metric, country, prompt_language

),

comparisons as (

    select
        cells.pair_id,
        cells.model,
        cells.instrument,
        cells.previous_version,
        cells.version,
        cells.previous_run_id,
        cells.run_id,
        cells.metric,
        cells.country,
        cells.prompt_language,
        case when cells.scope = 'version_mean' and cells.is_comparable
            then mean_cells.value_before else cells.value_before end as value_before,
        case when cells.scope = 'version_mean' and cells.is_comparable
            then mean_cells.value_after else cells.value_after end as value_after,
        case when cells.scope = 'version_mean' then mean_cells.n_countries else cells.n_before end as n_before,
        case when cells.scope = 'version_mean' then mean_cells.n_countries else cells.n_after end as n_after,
        case when cells.scope = 'version_mean' then 'countries' else cells.n_unit end as n_unit,
        coalesce(
            case when cells.scope = 'version_mean' then mean_cells.is_unstable else cells.is_unstable end,
            false
        ) as is_unstable,
        case
            when not cells.is_comparable then null
            when cells.scope = 'version_mean' then mean_cells.difference
            else cells.sign * (cells.value_after - cells.value_before)
        end as raw_difference,
        cells.threshold,
        cells.alpha,
        cells.is_comparable,
        cells.not_comparable_reason,
        cells.detected_at,
        replicate_stats.n_replicates,
        replicate_stats.n_not_worse,
        replicate_stats.n_not_better,
        replicate_stats.mean_delta,
        replicate_stats.sd_delta,
        replicate_stats.ci_low,
        replicate_stats.ci_high
    from cells
    left join mean_cells
        on {{ equi_join('cells', 'mean_cells', ['pair_id', 'metric']) }}
    left join replicate_stats
        on {{ equi_join('cells', 'replicate_stats', ['pair_id', 'metric']) }}
        and cells.country is not distinct from replicate_stats.country
        and cells.prompt_language is not distinct from replicate_stats.prompt_language

),

tested as (

    select
        *,
        md5(concat_ws(
            '|', model, previous_version, version, metric, coalesce(country, '*'), coalesce(prompt_language, '*')
        )) as regression_id,
        case when abs(raw_difference) < {{ tolerance }} then 0.0 else raw_difference end as difference,
        case
            when raw_difference is null or n_replicates = 0 then null
            when n_not_worse = 0 and sd_delta > 0
                then least(1.0 / (1 + n_replicates), {{ normal_tail_p_value('mean_delta / sd_delta') }})
            else (1 + n_not_worse) / (1 + n_replicates)
        end as p_value,
        case
            when raw_difference is null or n_replicates = 0 then null
            when n_not_worse = 0 and sd_delta > 0
                then least(-log10(1 + n_replicates), {{ normal_log_lower_tail('mean_delta / sd_delta') }} / ln(10))
            else log10((1 + n_not_worse) / (1 + n_replicates))
        end as log10_p_value,
        case
            when raw_difference is null or n_replicates = 0 then null
            when n_not_better = 0 and sd_delta > 0
                then least(1.0 / (1 + n_replicates), {{ normal_tail_p_value('-mean_delta / sd_delta') }})
            else (1 + n_not_better) / (1 + n_replicates)
        end as p_improvement
    from comparisons

),

ranked as (

    select
        regression_id,
        p_value,
        p_improvement,
        count(*) over (partition by {{ family }}) as n_tests,
        row_number() over (partition by {{ family }} order by p_value, regression_id) as p_rank,
        row_number() over (partition by {{ family }} order by p_improvement, regression_id) as p_improvement_rank,
        {{ family }}
    from tested
    where p_value is not null

),

adjusted as (

    select
        regression_id,
        n_tests,
        {{ benjamini_hochberg('p_value', 'n_tests', 'p_rank', family) }} as q_value,
        {{ benjamini_hochberg('p_improvement', 'n_tests', 'p_improvement_rank', family) }} as q_improvement
    from ranked

),

final as (

    select
        tested.*,
        adjusted.n_tests,
        adjusted.q_value,
        adjusted.q_improvement,
        case
            when not tested.is_comparable then 'no_change'
            when tested.difference < -tested.threshold and adjusted.q_value < tested.alpha then 'regression'
            when tested.difference > tested.threshold and adjusted.q_improvement < tested.alpha then 'improvement'
            else 'no_change'
        end as direction
    from tested
    left join adjusted on tested.regression_id = adjusted.regression_id

)

select * from final
