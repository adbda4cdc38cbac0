{#-
    CultureSPA's per-country WVS majority answers (a_i of Eq. 1) keyed by ISO alpha-2, the code
    the raw rows use, with each question's option count. Only the evaluation set
    (in_culturespa_eval); pairs not asked in a country (empty majority) are dropped, so they
    are skipped by the scoring exactly as the released code skips questions without gold.
-#}
with

majority as (select * from {{ ref('wvs_cultureSPA_majority') }}),
countries as (select * from {{ ref('culturespa_countries') }}),
questions as (select * from {{ ref('wvs_cultureSPA_questions') }}),

final as (

    select
        countries.country_code as country,
        countries.iso3,
        countries.in_paper_18,
        majority.q_id as item_id,
        majority.majority_option_code,
        questions.n_options
    from majority
    inner join countries on majority.country_code = countries.iso3
    inner join questions on majority.q_id = questions.q_id
    where questions.in_culturespa_eval
      and majority.majority_option_code is not null

)

select * from final
