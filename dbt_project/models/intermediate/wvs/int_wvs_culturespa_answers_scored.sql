{#-
    Each evaluation-set answer set against the country it is scored for, with its terms of
    CultureSPA Eq. 1: (a_i - r_i)^2 and (K_i - 1)^2. Answers that name a country (personas
    `aware`, `cross_culture`; P3 strategies, whose examples carry that country's answers) are
    scored against it; persona-free (`unaware`, country null) answers
    against every CultureSPA country (docs/metrics.md). A persona country outside the CultureSPA
    set keeps its rows with has_ground_truth = false.
-#}
with

answers as (select * from {{ ref('int_wvs_culturespa_answers_coded') }} where in_culturespa_eval),
countries as (select * from {{ ref('culturespa_countries') }}),
majorities as (select * from {{ ref('int_wvs_culturespa_references_mapped') }}),

scored_for as (

    {{ scored_for_countries('answers', 'countries', ['countries.country_code is not null as has_ground_truth']) }}

),

final as (

    select
        scored_for.run_id,
        scored_for.model,
        scored_for.model_version,
        scored_for.instrument_version,
        scored_for.parser_version,
        scored_for.country,
        scored_for.is_persona_free,
        scored_for.has_ground_truth,
        scored_for.prompt_language,
        scored_for.style,
        scored_for.strategy,
        scored_for.variant,
        scored_for.trial,
        scored_for.item_id,
        scored_for.answer_status,
        scored_for.model_code,
        majorities.majority_option_code,
        scored_for.n_options,
        scored_for.answer_status = 'valid' and majorities.majority_option_code is not null as is_scored,
        case
            when scored_for.answer_status = 'valid' and majorities.majority_option_code is not null
                then power(majorities.majority_option_code - scored_for.model_code, 2)
        end as squared_difference,
        case
            when scored_for.answer_status = 'valid' and majorities.majority_option_code is not null
                then power(scored_for.n_options - 1, 2)
        end as squared_max_difference
    from scored_for
    left join majorities
        on {{ equi_join('scored_for', 'majorities', ['country', 'item_id']) }}

)

select * from final
