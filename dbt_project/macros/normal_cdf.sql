{#-
    Standard normal CDF Φ(x) for x <= 0 (a lower tail), as 0.5 · erfc(−x / √2) with
    Abramowitz & Stegun 7.1.26 for erfc (|error| < 1.5e-7, and the exp(−z²) factor is exact,
    so far tails keep their order of magnitude). DuckDB has no erf/normal CDF built in.
    Callers pass a non-positive argument (a lower tail); larger values are clamped to 0.
-#}
{% macro normal_lower_tail(x) -%}
    (0.5 * (
        (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0))))
        * (0.254829592 + (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0))))
        * (-0.284496736 + (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0))))
        * (1.421413741 + (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0))))
        * (-1.453152027 + (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0)))) * 1.061405429))))
        * exp(-power(-least({{ x }}, 0.0) / sqrt(2.0), 2))
    ))
{%- endmacro %}
