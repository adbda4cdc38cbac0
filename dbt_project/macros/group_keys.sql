{#-
    Key columns shared by the WVS marts' groups. run_version_key: a run and the versions that
    decide whether two of its numbers are comparable (model, instrument, parser).
    distribution_group_key: answer group G of distribution similarity (one question of one
    persona country, prompt language, style, strategy and variant of a run).
-#}
{% macro run_version_key() -%}
    {{ return(['run_id', 'model', 'model_version', 'instrument_version', 'parser_version']) }}
{%- endmacro %}

{% macro distribution_group_key() -%}
    {{ return(run_version_key() + ['country', 'prompt_language', 'style', 'strategy', 'variant', 'item_id']) }}
{%- endmacro %}
