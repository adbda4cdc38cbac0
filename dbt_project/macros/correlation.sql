{#-
    Helpers for correlations that must be null (with a reason) rather than 0 or 1 when they are
    undefined: a constant vector has no Pearson/Spearman correlation.

    correlation_null_reason(x, y, min_n): aggregate CASE giving why corr(x, y) over the group is
    undefined, or null when it is defined. Pairs with a null side do not count.
    pearson_or_null(x, y, min_n): the aggregate corr(x, y) when correlation_null_reason is
    null, else null.

    weighted_spearman(points, group_by, x, y, weight, min_n): the CTEs `ranked`, `rank_sums` and
    `correlated` of Spearman's rho between x and y per group of `points`, where each row counts
    `weight` times (a column: 1 for the point estimate, an item's bootstrap multiplicity in a
    replicate, so the mart and its regression replicates share this one definition). A row of
    weight m is m tied points: its rank is the mean of the ranks they span among all the group's
    weighted points, e.g. values 5, 7, 7, 9 of weight 1 -> 1, 2.5, 2.5, 4, and rho is the weighted
    Pearson correlation of the ranks. `correlated` has group_by, n_points (the summed weight),
    null_reason (too_few_points below min_n points, counting repeats; constant_vector) and rho
    (null with a reason).
-#}
{% macro correlation_null_reason(x, y, min_n, weight=none) -%}
    case
        {%- if weight %}
        when coalesce(sum({{ weight }}) filter (where ({{ x }}) + ({{ y }}) is not null), 0) < {{ min_n }}
            then 'too_few_points'
        {%- else %}
        when count(({{ x }}) + ({{ y }})) < {{ min_n }} then 'too_few_points'
        {%- endif %}
        when min({{ x }}) filter (where {{ y }} is not null) = max({{ x }}) filter (where {{ y }} is not null)
          or min({{ y }}) filter (where {{ x }} is not null) = max({{ y }}) filter (where {{ x }} is not null)
            then 'constant_vector'
    end
{%- endmacro %}

{% macro pearson_or_null(x, y, min_n) -%}
    case when ({{ correlation_null_reason(x, y, min_n) }}) is null then corr({{ y }}, {{ x }}) end
{%- endmacro %}

{% macro weighted_spearman(points, group_by, x, y, weight, min_n) -%}
{%- set group = group_by | join(', ') -%}
ranked as (

    select
        *,
        {%- for column in [x, y] %}
        sum({{ weight }}) over (
            partition by {{ group }} order by {{ column }} range between unbounded preceding and current row
        )
            - sum({{ weight }}) over (partition by {{ group }}, {{ column }})
            + (sum({{ weight }}) over (partition by {{ group }}, {{ column }}) + 1) / 2.0 as {{ column }}_rank
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ points }}
    where ({{ x }}) + ({{ y }}) is not null

),

-- the weighted sums of the ranks: whole multiples of 1/4, so exact in any order
rank_sums as (

    select
        {{ group_by | join(',\n        ') }},
        sum({{ weight }}) as n_points,
        {{ correlation_null_reason(x, y, min_n, weight) }} as null_reason,
        sum({{ weight }} * {{ x }}_rank) as sum_x,
        sum({{ weight }} * {{ y }}_rank) as sum_y,
        sum({{ weight }} * {{ x }}_rank * {{ x }}_rank) as sum_xx,
        sum({{ weight }} * {{ y }}_rank * {{ y }}_rank) as sum_yy,
        sum({{ weight }} * {{ x }}_rank * {{ y }}_rank) as sum_xy
    from ranked
    group by {{ group }}

),

correlated as (

    select
        {{ group_by | join(',\n        ') }},
        n_points,
        null_reason,
        case when null_reason is null then
            (n_points * sum_xy - sum_x * sum_y)
                / sqrt((n_points * sum_xx - sum_x * sum_x) * (n_points * sum_yy - sum_y * sum_y))
        end as rho
    from rank_sums

)
{%- endmacro %}
