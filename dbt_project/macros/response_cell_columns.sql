{#-
    The columns that identify one model answer with its model and versions (a response cell),
    in the order the WVS intermediate models carry them from int_responses_published.
-#}
{% macro response_cell_columns() -%}
    {{ return([
        'run_id', 'model', 'model_version', 'instrument_version', 'parser_version', 'item_id',
        'country', 'prompt_language', 'style', 'strategy', 'variant', 'trial',
    ]) }}
{%- endmacro %}
