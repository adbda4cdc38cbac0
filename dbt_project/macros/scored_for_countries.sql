{#-
    The rows of `relation` (with a nullable `country`), each once per country it is scored
    against (docs/metrics.md): a persona row (country set) against its own country; a
    persona-free row (country null, strategy `unaware`) against every country of `countries`,
    whose country_code becomes the row's country. `columns`: expressions over `countries` added
    to every row (on a persona row whose country is not in `countries`, its columns are null).
    Adds is_persona_free.
-#}
{% macro scored_for_countries(relation, countries, columns) -%}
    select
        {{ relation }}.*,
        {{ columns | join(',\n        ') }},
        false as is_persona_free
    from {{ relation }}
    left join {{ countries }} on {{ relation }}.country = {{ countries }}.country_code
    where {{ relation }}.country is not null

    union all by name

    select
        {{ relation }}.* replace ({{ countries }}.country_code as country),
        {{ columns | join(',\n        ') }},
        true as is_persona_free
    from {{ relation }}
    cross join {{ countries }}
    where {{ relation }}.country is null
{%- endmacro %}
