{#-
    Columns identifying one VSM questionnaire pass (a "trial cell"): one model version
    answering all items once in one country, prompt language, style, strategy, variant
    and trial, with one instrument and parser version. Shared by the scoring models.
-#}
{% macro vsm_trial_key() -%}
    {{ return([
        'run_id', 'model', 'model_version', 'instrument_version', 'parser_version',
        'country', 'prompt_language', 'style', 'strategy', 'variant', 'trial',
    ]) }}
{%- endmacro %}
