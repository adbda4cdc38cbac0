{#-
    percentile_of_counts(value, cumulative, total, p): the p-quantile of a sample given as rows
    (value, how many sample members hold it), with quantile_cont's definition (linear
    interpolation between order statistics: h = (N - 1) p,
    x_(floor h) * (1 - (h - floor h)) + x_(floor h + 1) * (h - floor h), 0-based), without
    expanding the sample. The formula is written out here, so it gives the same bits on every
    DuckDB version (DuckDB 1.4's quantile_cont on the expanded sample gives the same bits; 2.0's
    may differ in the last one). An aggregate over the rows
    of one sample; each row needs `cumulative` = the members with a value up to and including
    its own (a running sum over the rows ordered by value) and `total` = N (the sample size).
-#}
{% macro percentile_of_counts(value, cumulative, total, p) -%}
    {%- set h = '((' ~ total ~ ' - 1) * cast(' ~ p ~ ' as double))' -%}
    (
        min({{ value }}) filter (where {{ cumulative }} > floor({{ h }}))
            * (1 - any_value({{ h }} - floor({{ h }})))
        + coalesce(
            min({{ value }}) filter (where {{ cumulative }} > floor({{ h }}) + 1),
            min({{ value }}) filter (where {{ cumulative }} > floor({{ h }}))
        ) * any_value({{ h }} - floor({{ h }}))
    )
{%- endmacro %}
