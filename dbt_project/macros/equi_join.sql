{#-
    Join condition equating `columns` of two relations with `operator`: `=` (NULL matches
    nothing) by default; null_safe_join passes `is not distinct from`.
-#}
{% macro equi_join(left_alias, right_alias, columns, operator='=') -%}
    {%- for column in columns %}
    {% if not loop.first %}and {% endif %}{{ left_alias }}.{{ column }} {{ operator }} {{ right_alias }}.{{ column }}
    {%- endfor %}
{%- endmacro %}
