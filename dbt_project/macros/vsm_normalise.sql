{#-
    Normalises a raw VSM index to 0-100 by the formula's own range, with C = 0
    (DESIGN.md "Metric definitions"): (raw - raw_min) / (raw_max - raw_min) * 100,
    where raw_min/raw_max are the raw values at the extreme answers of the scale, so
    all-midpoint answers give exactly 50. Multiplying before dividing keeps scores that
    are whole numbers exact in floating point (e.g. 0 and 100 at the extremes).
    The method name is the project var `vsm_normalisation`; it is written on every row.
-#}
{% macro vsm_normalise(raw, raw_min, raw_max) -%}
    {%- set method = var('vsm_normalisation') -%}
    {%- if method == 'formula_range_c0' -%}
        (({{ raw }}) - ({{ raw_min }})) * 100.0 / (({{ raw_max }}) - ({{ raw_min }}))
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown vsm_normalisation '" ~ method ~ "' (implemented: formula_range_c0)") }}
    {%- endif -%}
{%- endmacro %}
