{#-
    The deviation ratio (Sukiennik et al. Eq. 1), written once for marts.deviation_ratio and its
    bootstrap replicates (int_regression_deviation_ratio_replicates):

        DR = mean_d |GT_d - mean_c GT_d|  /  mean_t mean_d |score_{d,t} - GT_d|

    deviation_ratio_means(deviation, difference, order_by): the aggregate columns
    `deviation_from_global_average` (the numerator) and `mean_difference` (the denominator) over
    rows of one (unit, pass) each, where every unit (a dimension of D*; a drawn slot in a
    replicate) has a row for every pass, so the flat means are Eq. 1's nested ones. Summed in
    `order_by` order (macro ordered_avg): a rebuild gives bit-identical numbers.
    deviation_ratio(numerator, denominator): their ratio, null when the denominator is 0 (a
    model that matches every ground truth exactly has no defined ratio).
    scored_in_every_pass(rows, key, score): D*, the select of the dimensions (with their
    deviation_from_global_average) that have a `score` in every pass of each `key` group of `rows`
    (one row per pass x dimension with ground truth: the scores model gives every pass a row for
    every dimension, null when an item is missing). One unparseable item drops its dimension from
    D* for the whole group, never the pass.
-#}
{% macro deviation_ratio_means(deviation, difference, order_by) -%}
    {{ ordered_avg(deviation, order_by) }} as deviation_from_global_average,
    {{ ordered_avg(difference, order_by) }} as mean_difference
{%- endmacro %}

{% macro deviation_ratio(numerator, denominator) -%}
    case when ({{ denominator }}) > 0 then ({{ numerator }}) / ({{ denominator }}) end
{%- endmacro %}

{% macro scored_in_every_pass(rows, key, score) -%}
    select
        {{ key | join(',\n        ') }},
        dimension,
        any_value(deviation_from_global_average) as deviation_from_global_average
    from {{ rows }}
    group by {{ key | join(', ') }}, dimension
    having count(*) filter (where {{ score }} is null) = 0
{%- endmacro %}
