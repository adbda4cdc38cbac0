{#-
    Join condition equating `columns` of two relations, NULL matching NULL
    (`is not distinct from`): grid keys contain nullable columns such as `country`
    of persona-free prompts.
-#}
{% macro null_safe_join(left_alias, right_alias, columns) -%}
    {{ equi_join(left_alias, right_alias, columns, 'is not distinct from') }}
{%- endmacro %}
