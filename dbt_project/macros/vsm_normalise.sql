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

{#-
    vsm_raw_index(contrast_1, contrast_2, weight_1, weight_2, m1, m2): a dimension's raw index
    (C = 0) from its two contrast pairs, contrast k = plus item - minus item (seed
    vsm2013_formulas): w1 * contrast_1 + w2 * contrast_2, e.g. PDI = 35 (m07 - m02) + 25 (m20 - m23).
    m1, m2 (default 1) weight the pairs by how often a bootstrap replicate drew them
    (int_regression_deviation_ratio_replicates, m1 + m2 = 2); the index is re-scaled so that the
    formula's total weight, hence its range and normalisation, is unchanged:
        (m1 w1 c1 + m2 w2 c2) * (w1 + w2) / (m1 w1 + m2 w2)
    which is exactly w1 c1 + w2 c2 at m1 = m2 = 1 (whole numbers: no rounding).
    vsm_score(...): that index normalised (macro vsm_normalise): the one definition of a VSM
    dimension score, for the marts and their bootstrap replicates alike.
-#}
{% macro vsm_raw_index(contrast_1, contrast_2, weight_1, weight_2, m1='1', m2='1') -%}
    (({{ m1 }} * {{ weight_1 }} * {{ contrast_1 }} + {{ m2 }} * {{ weight_2 }} * {{ contrast_2 }})
        * ({{ weight_1 }} + {{ weight_2 }}) / ({{ m1 }} * {{ weight_1 }} + {{ m2 }} * {{ weight_2 }}))
{%- endmacro %}

{% macro vsm_score(contrast_1, contrast_2, weight_1, weight_2, raw_min, raw_max, m1='1', m2='1') -%}
    {{ vsm_normalise(vsm_raw_index(contrast_1, contrast_2, weight_1, weight_2, m1, m2), raw_min, raw_max) }}
{%- endmacro %}
