{#-
    The regression verdicts the alerts read (docs/metrics.md "Regressions", issue 7 item 3): one row per
    version pair x metric x country x prompt language. The computation is in
    int_regression_comparisons (tests, BH) and int_regression_*_replicates (paired bootstrap);
    this model only fixes the contract. See alignment_regressions.yml.
-#}
with

comparisons as (select * from {{ ref('int_regression_comparisons') }}),

flagged as (

    select
        *,
        n_before is distinct from n_after as coverage_differs
    from comparisons

),

final as (

    select
        {{ contract_casts() }}
    from flagged

)

select * from final
