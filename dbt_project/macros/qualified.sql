{#- `alias.column` for each of `columns`, comma-separated: a select list or a group by. -#}
{% macro qualified(alias, columns) -%}
    {%- for column in columns %}{{ alias }}.{{ column }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}
