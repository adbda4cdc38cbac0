{#-
    Which rows of a mart a regression metric reads (the seed regression_thresholds, one row per
    metric with its instrument and slice).

    metric_slice_columns(instrument): the columns that name a metric's slice of its instrument's
    mart: the deviation-ratio setting (vsm2013 only), strategy, style and prompt variant
    (wvs_polarity has no variant).

    in_metric_slice(relation, instrument): the join of `relation`'s rows to the metrics (the CTE
    `metrics`) of `instrument` whose slice they are in.
-#}
{% macro metric_slice_columns(instrument) -%}
    {%- set columns = {
        'vsm2013': ['setting', 'strategy', 'style', 'variant'],
        'wvs_culturespa': ['strategy', 'style', 'variant'],
        'wvs_polarity': ['strategy', 'style'],
    } -%}
    {%- if instrument not in columns -%}
        {{ exceptions.raise_compiler_error("metric_slice_columns: no slice for instrument '" ~ instrument ~ "'") }}
    {%- endif -%}
    {{ return(columns[instrument]) }}
{%- endmacro %}

{% macro in_metric_slice(relation, instrument) -%}
    inner join metrics
        on metrics.instrument = '{{ instrument }}'
        {%- for column in metric_slice_columns(instrument) %}
        and {{ relation }}.{{ column }} = metrics.{{ column }}
        {%- endfor %}
{%- endmacro %}
