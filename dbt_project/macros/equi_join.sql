{#-
    Join condition equating `columns` of two relations (`=`: NULL matches nothing); for grid
    keys that may be NULL, null_safe_join.
-#}
{% macro equi_join(left_alias, right_alias, columns) -%}
    {%- for column in columns %}
    {% if not loop.first %}and {% endif %}{{ left_alias }}.{{ column }} = {{ right_alias }}.{{ column }}
    {%- endfor %}
{%- endmacro %}
