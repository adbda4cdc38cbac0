{#- `coalesce(alias.column, 0) as column` for each of `columns`, comma-separated: counts from a
    left join, zero where nothing matched. -#}
{% macro counts_or_zero(alias, columns) -%}
    {%- for column in columns %}coalesce({{ alias }}.{{ column }}, 0) as {{ column }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}
