{#-
    The regression verdicts the alerts read (DESIGN.md "Regression", issue 7 item 3): one row per
    version pair x metric x country x prompt language. The computation is in
    int_regression_comparisons (tests, BH) and int_regression_*_replicates (paired bootstrap);
    this model only fixes the contract. See alignment_regressions.yml.
-#}
with

comparisons as (

    select * from {{ ref('int_regression_comparisons') }}

),

final as (

    select
        cast(regression_id as varchar) as regression_id,
        cast(model as varchar) as model,
        cast(previous_version as varchar) as previous_version,
        cast(version as varchar) as version,
        cast(previous_run_id as varchar) as previous_run_id,
        cast(run_id as varchar) as run_id,
        cast(metric as varchar) as metric,
        cast(country as varchar) as country,
        cast(prompt_language as varchar) as prompt_language,
        cast(value_before as double) as value_before,
        cast(value_after as double) as value_after,
        cast(difference as double) as difference,
        cast(ci_low as double) as ci_low,
        cast(ci_high as double) as ci_high,
        cast(p_value as double) as p_value,
        cast(q_value as double) as q_value,
        cast(threshold as double) as threshold,
        cast(alpha as double) as alpha,
        cast(direction as varchar) as direction,
        cast(is_comparable as boolean) as is_comparable,
        cast(not_comparable_reason as varchar) as not_comparable_reason,
        cast(detected_at as timestamptz) as detected_at
    from comparisons

)

select * from final
