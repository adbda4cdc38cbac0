{#-
    A relation with the current model's contract columns (names and data_type from its yml)
    and no rows: the stand-in for a raw source that has no files yet. Every column of the
    model must declare a data_type.
-#}
{% macro empty_relation_from_contract() -%}
    {%- set columns = model.columns.values() | list -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("empty_relation_from_contract: " ~ model.name ~ " declares no columns") }}
    {%- endif -%}
    select
    {%- for column in columns %}
        cast(null as {{ column.data_type }}) as {{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
    where false
{%- endmacro %}
