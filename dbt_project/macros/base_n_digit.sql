{#-
    base_n_digit(value, n, position): digit `position` (0 = the lowest) of the unsigned integer
    `value` written in base n, as a bigint: floor(value / n^position) % n. The distribution
    bootstrap's draws are such digits (int_wvs_culturespa_distribution_replicates).
-#}
{% macro base_n_digit(value, n, position) -%}
    cast(({{ value }} // cast(pow({{ n }}, {{ position }}) as ubigint)) % cast({{ n }} as ubigint) as bigint)
{%- endmacro %}
