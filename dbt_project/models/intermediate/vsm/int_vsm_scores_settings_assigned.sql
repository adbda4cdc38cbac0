{#-
    Assigns each VSM questionnaire pass (long form, per dimension) to the deviation-ratio
    prompt settings it belongs to; a pass can belong to several (US prompted in English is
    `aligned` and `english`), so it is repeated once per setting:
      aligned           prompt_language = the country's own language (seed countries)
      <fixed settings>  prompt_language = the language in var dr_language_settings
                        (english: en, chinese: zh)
      language_average  every pass: all prompt languages asked for the country, pooled
    Persona-free passes (country null, strategy `unaware`) are scored against every
    country, as the cultural alignment score does (docs/metrics.md).
-#}
with

scores as (select * from {{ ref('int_vsm_dimension_scores_computed') }}),
countries as (select * from {{ ref('countries') }}),

passes as (

    {{ scored_for_countries('scores', 'countries', ['countries.language_code as country_language_code']) }}

),

assigned as (

    select *, 'aligned' as setting
    from passes
    where prompt_language = country_language_code

    {% for setting, language in var('dr_language_settings').items() %}
    union all
    select *, '{{ setting }}' as setting
    from passes
    where prompt_language = '{{ language }}'
    {% endfor %}

    union all
    select *, 'language_average' as setting
    from passes

)

select * from assigned
