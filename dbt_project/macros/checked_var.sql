{#-
    checked_var(name, defaults, family): the project var `name`, else its default; a name not in
    `defaults` is a compile error naming the family ("unknown regression setting 'x'"), so a typo
    in a model fails the build instead of reading a var that is never set.
-#}
{% macro checked_var(name, defaults, family) -%}
    {%- if name not in defaults -%}
        {{ exceptions.raise_compiler_error("unknown " ~ family ~ " setting '" ~ name ~ "'") }}
    {%- endif -%}
    {{ return(var(name, defaults[name])) }}
{%- endmacro %}
