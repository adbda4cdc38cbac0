{#-
    cas_formula(sum_squared_difference, sum_squared_max_difference): CultureSPA's cultural
    alignment score S (Eq. 1, as the released scoring code computes it) from its two sums over
    the scored questions, sum (a - r)^2 and sum (K - 1)^2:
        S = (1 - sqrt(sum (a - r)^2) / sqrt(sum (K - 1)^2)) * 100
    The one formula of marts.cultural_alignment_score (each question once), of its bootstrap
    replicates (int_regression_cas_replicates: each question weighted by its multiplicity) and of
    the matrix (cultural_alignment_matrix: one culture's answers against another's).
-#}
{% macro cas_formula(sum_squared_difference, sum_squared_max_difference) -%}
    (1 - sqrt({{ sum_squared_difference }}) / sqrt({{ sum_squared_max_difference }})) * 100
{%- endmacro %}
