{#-
    Helpers for correlations that must be null (with a reason) rather than 0 or 1 when they are
    undefined: a constant vector has no Pearson/Spearman correlation.

    average_rank(expr, partition_by): rank of `expr` within the partition, ties given the mean
    of the ranks they span (the rank Spearman's rho needs), e.g. values 5, 7, 7, 9 -> 1, 2.5, 2.5, 4.

    correlation_null_reason(x, y, min_n): aggregate CASE giving why corr(x, y) over the group is
    undefined, or null when it is defined. Pairs with a null side do not count.
    pearson_or_null(x, y, min_n): the aggregate corr(x, y) when correlation_null_reason is
    null, else null.
-#}
{% macro average_rank(expr, partition_by) -%}
    (rank() over (partition by {{ partition_by }} order by {{ expr }})
        + (count(*) over (partition by {{ partition_by }}, {{ expr }}) - 1) / 2.0)
{%- endmacro %}

{% macro correlation_null_reason(x, y, min_n) -%}
    case
        when count(({{ x }}) + ({{ y }})) < {{ min_n }} then 'too_few_points'
        when min({{ x }}) filter (where {{ y }} is not null) = max({{ x }}) filter (where {{ y }} is not null)
          or min({{ y }}) filter (where {{ x }} is not null) = max({{ y }}) filter (where {{ x }} is not null)
            then 'constant_vector'
    end
{%- endmacro %}

{% macro pearson_or_null(x, y, min_n) -%}
    case when ({{ correlation_null_reason(x, y, min_n) }}) is null then corr({{ y }}, {{ x }}) end
{%- endmacro %}
