{#-
    contract_casts(): the select list of a model with an enforced contract, written once in its
    yml: every contract column cast to its `data_type`, in the yml's order (the order dbt
    enforces), so the final CTE of a mart reads `select {{ contract_casts() }} from shaped`.
    Compute anything that is not a plain column in the CTE before (`select * replace (...)`).
    It checks the columns only when dbt executes (a parse renders it without them).
-#}
{% macro contract_casts() -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- a dbt unit test sees no contract (its node has no columns, its graph no models): it
            checks the values of the CTE this selects from, uncast -#}
        {%- do return('*') -%}
    {%- endif -%}
    {%- set columns = model.columns.values() | list -%}
    {%- if execute and columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("contract_casts: " ~ model.name ~ " declares no columns") }}
    {%- endif -%}
    {%- for column in columns -%}
        {%- if execute and not column.data_type -%}
            {{ exceptions.raise_compiler_error(
                "contract_casts: " ~ model.name ~ "." ~ column.name ~ " declares no data_type"
            ) }}
        {%- endif -%}
        {{ "\n        " if not loop.first }}cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }}
        {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
