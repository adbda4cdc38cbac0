{#-
    Helpers of the regression models (alignment_history, int_regression_*, alignment_regressions).

    regression_setting(name): the computational knobs of the paired bootstrap, each overridable
    with `--vars` (e.g. --vars '{regression_bootstrap_replicates: 2000}'). The rule itself
    (thresholds, alpha, direction per metric) is NOT here: it is the seed regression_thresholds,
    generated from include/culturewatch/config/regression_thresholds.yaml.

      regression_bootstrap_replicates  B, replicates of the paired bootstrap (1000). The
                                       p-value is (1 + #not worse) / (1 + B); below that resolution
                                       (no replicate not worse) it is the normal tail of the
                                       replicates, floored at 1e-300 (int_regression_comparisons).
                                       When every replicate is identical it stays at 1 / (B + 1):
                                       with m comparisons in a version pair such a lone regression
                                       reaches q < alpha only when m / (B + 1) < alpha (B = 1000:
                                       m <= 50 at alpha 0.05). Cost is linear in B.
      regression_bootstrap_seed        seed of every draw (hash-based: the draws depend only on the
                                       seed, the instrument, the country and the replicate).
      regression_ci_level              two-sided level of the percentile interval of the
                                       difference (ci_low, ci_high).
      regression_zero_tolerance        |difference| below this counts as exactly 0 (floating-point
                                       noise of two identical answer sets aggregated in another order).

    bootstrap_draw(seed, label, replicate, draw, n): 1-based index of draw `draw` of replicate
    `replicate` among n ordered items: md5_number_lower(seed | label | replicate | draw) % n + 1,
    unsigned 64-bit arithmetic throughout (the scheme of int_wvs_culturespa_distributions_bootstrapped).

    bootstrap_block_hash(seed, label, replicate, block) and bootstrap_block_draw(hash, half, n):
    the same draws at half the MD5 cost, for models drawing millions of items: one 64-bit
    md5_number_lower(seed | label | replicate | block) per block of two draws, draw 2 * block + half
    taking the lower (half 0) or upper (half 1) 32 bits, % n + 1 (bias below n / 2^32, nil).

    benjamini_hochberg(p, n_tests, p_rank, family): the BH-adjusted q of p, given each test's
    1-based rank by p within its family (ties in any order) and the family size:
    q_(i) = min(1, min_{j >= i} n_tests * p_(j) / j).
-#}
{% macro regression_setting(name) -%}
    {%- set defaults = {
        'regression_bootstrap_replicates': 1000,
        'regression_bootstrap_seed': 20260107,
        'regression_ci_level': 0.95,
        'regression_zero_tolerance': 1e-9,
    } -%}
    {{ return(checked_var(name, defaults, 'regression')) }}
{%- endmacro %}

{% macro bootstrap_draw(seed, label, replicate, draw, n) -%}
    (cast(
        md5_number_lower(concat_ws('|', {{ seed }}, {{ label }}, {{ replicate }}, {{ draw }}))
            % cast({{ n }} as ubigint)
        as bigint
    ) + 1)
{%- endmacro %}

{% macro bootstrap_block_hash(seed, label, replicate, block) -%}
    md5_number_lower(concat_ws('|', {{ seed }}, {{ label }}, {{ replicate }}, {{ block }}))
{%- endmacro %}

{% macro bootstrap_block_draw(hash, half, n) -%}
    (cast(
        (({{ hash }} >> cast(32 * {{ half }} as ubigint)) & cast(4294967295 as ubigint))
            % cast({{ n }} as ubigint)
        as bigint
    ) + 1)
{%- endmacro %}

{% macro benjamini_hochberg(p, n_tests, p_rank, family) -%}
    least(1.0, min({{ p }} * {{ n_tests }} / {{ p_rank }}) over (
        partition by {{ family }}
        order by {{ p_rank }} desc
        rows between unbounded preceding and current row
    ))
{%- endmacro %}

{#-
    ordered_avg(expr, order_by): avg(expr) (nulls ignored) summed in the order of `order_by`
    (unique within the group), so a rebuild gives bit-identical numbers: a parallel avg adds in
    whatever order the threads deliver, which moves the last bit between runs.
-#}
{% macro ordered_avg(expr, order_by) -%}
    list_avg(list({{ expr }} order by {{ order_by }}))
{%- endmacro %}
