{#-
    The normal lower tail Φ(x), for x <= 0, computed in log space so that it never underflows.

    Φ(x) = 0.5 · erfc(z), z = −x / √2, with Abramowitz & Stegun 7.1.26 for erfc:
        erfc(z) ≈ t · P(t) · exp(−z²),  t = 1 / (1 + 0.3275911 z),
        P(t) = 0.254829592 + t(−0.284496736 + t(1.421413741 + t(−1.453152027 + t · 1.061405429)))
    (|error| < 1.5e-7 absolute; in the far tail t · P(t) → 0.78 / z where the exact factor is
    0.56 / z, so the log-tail is within ln 1.4 ≈ 0.33 of the truth: the order of magnitude holds).
    DuckDB has no erf or normal CDF built in. Larger arguments are clamped to 0 (Φ = 0.5).

      normal_log_lower_tail(x)  ln Φ(x) = ln 0.5 + ln(t · P(t)) − z²: finite for every x (at
                                x = −100 it is about −5005; the direct product t · P(t) · exp(−z²)
                                is exactly 0 in double precision once z² > 745, |x| > 38.6)
      p_value_floor()           1e-300, the smallest p-value the models report: below it a normal
                                extrapolation from B bootstrap replicates means nothing, and every
                                BH product m · p / rank of it stays a normal double
      normal_tail_p_value(x)    max(exp(normal_log_lower_tail(x)), p_value_floor()): never 0
-#}
{% macro normal_log_lower_tail(x) -%}
    (ln(0.5)
        + ln(
            (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0))))
            * (0.254829592 + (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0))))
            * (-0.284496736 + (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0))))
            * (1.421413741 + (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0))))
            * (-1.453152027 + (1.0 / (1.0 + 0.3275911 * (-least({{ x }}, 0.0) / sqrt(2.0)))) * 1.061405429))))
        )
        - power(-least({{ x }}, 0.0) / sqrt(2.0), 2))
{%- endmacro %}

{% macro p_value_floor() -%}
    1e-300
{%- endmacro %}

{% macro normal_tail_p_value(x) -%}
    greatest(exp({{ normal_log_lower_tail(x) }}), {{ p_value_floor() }})
{%- endmacro %}
