{#-
    Normalises a raw VSM index (C = 0) to a score, by the method in the project var
    `vsm_normalisation`, which is written on every row (column `normalisation`):

      formula_range_c0  (default, docs/metrics.md) the formula's own range
                        with C = 0: (raw - raw_min) / (raw_max - raw_min) * 100, where
                        raw_min/raw_max are the raw values at the extreme answers, so scores
                        lie in 0-100 and all-midpoint answers give exactly 50. Equivalently
                        50 + raw * 50 / R with R = raw_max = -raw_min.
      hofstede_raw_c50  Hofstede's VSM 2013 formula as printed, raw + C, with the free
                        constant C = 50 for every dimension (the manual leaves C to the
                        user). All-midpoint answers give 50 too, but scores are not bounded
                        to 0-100 (raw runs over +-R, e.g. PDI -190..290), so a score moves
                        R / 50 times as far as under formula_range_c0 (PDI 4.8x, IDV and MAS
                        5.6x, UAI and LTO 5.2x, IVR 6x).

    Multiplying before dividing keeps scores that are whole numbers exact in floating point.
-#}
{% macro vsm_normalise(raw, raw_min, raw_max) -%}
    {%- set method = var('vsm_normalisation') -%}
    {%- if method == 'formula_range_c0' -%}
        (({{ raw }}) - ({{ raw_min }})) * 100.0 / (({{ raw_max }}) - ({{ raw_min }}))
    {%- elif method == 'hofstede_raw_c50' -%}
        ({{ raw }}) + 50.0
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "unknown vsm_normalisation '" ~ method ~ "' (implemented: formula_range_c0, hofstede_raw_c50)"
        ) }}
    {%- endif -%}
{%- endmacro %}
