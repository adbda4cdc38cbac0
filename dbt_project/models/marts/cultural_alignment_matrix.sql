{#-
    Cross-cultural alignment scores (CultureSPA §6.2, Fig. 5): for every ordered pair of
    persona cultures (ci, cj) asked in the same run × strategy × style × variant, S of Eq. 1
    between the model's answers for ci and
      - the model's answers for cj (S(R_ci, R_cj), the paper's matrix; per trial index,
        over the questions both answered validly, then averaged over paired trials),
      - cj's WVS majority answers (S(R_ci, A_cj); per trial, averaged), and
    the WVS reference S(A_ci, A_cj) between the two cultures' majority answers.
-#}
{%- set group_key = run_version_key() + ['prompt_language', 'style', 'strategy', 'variant'] -%}

with

answers as (

    select * from {{ ref('int_wvs_culturespa_answers_coded') }}
    where in_culturespa_eval
      and strategy in ('aware', 'cross_culture')
      and country in (select country_code from {{ ref('culturespa_countries') }})

),

majorities as (select * from {{ ref('int_wvs_culturespa_references_mapped') }}),

valid_answers as (

    select * from answers where answer_status = 'valid'

),

cultures as (

    select distinct {{ group_key | join(', ') }}, country
    from answers

),

culture_pairs as (

    select
        {{ qualified('culture_i', group_key) }},
        culture_i.country as culture_i,
        culture_j.country as culture_j
    from cultures as culture_i
    inner join cultures as culture_j
        on {{ null_safe_join('culture_i', 'culture_j', group_key) }}

),

-- S(R_ci, R_cj) per trial index
model_model_trials as (

    select
        {{ qualified('answers_i', group_key) }},
        answers_i.country as culture_i,
        answers_j.country as culture_j,
        answers_i.trial,
        count(*) as n_questions,
        {{ cas_formula(
            'sum(power(answers_i.model_code - answers_j.model_code, 2))',
            'sum(power(answers_i.n_options - 1, 2))',
        ) }} as s
    from valid_answers as answers_i
    inner join valid_answers as answers_j
        on {{ null_safe_join('answers_i', 'answers_j', group_key + ['trial', 'item_id']) }}
    group by all

),

-- S(R_ci, A_cj) per trial
model_wvs_trials as (

    select
        {{ qualified('answers_i', group_key) }},
        answers_i.country as culture_i,
        majorities_j.country as culture_j,
        answers_i.trial,
        count(*) as n_questions,
        {{ cas_formula(
            'sum(power(majorities_j.majority_option_code - answers_i.model_code, 2))',
            'sum(power(answers_i.n_options - 1, 2))',
        ) }} as s
    from valid_answers as answers_i
    inner join majorities as majorities_j on answers_i.item_id = majorities_j.item_id
    group by all

),

-- S(A_ci, A_cj)
wvs_reference as (

    select
        majorities_i.country as culture_i,
        majorities_j.country as culture_j,
        count(*) as n_questions,
        {{ cas_formula(
            'sum(power(majorities_i.majority_option_code - majorities_j.majority_option_code, 2))',
            'sum(power(majorities_i.n_options - 1, 2))',
        ) }} as s
    from majorities as majorities_i
    inner join majorities as majorities_j on majorities_i.item_id = majorities_j.item_id
    group by all

),

model_model as (

    select
        {{ group_key | join(', ') }}, culture_i, culture_j,
        avg(s) as s,
        count(*) as n_trials,
        min(n_questions) as n_questions_min
    from model_model_trials
    group by all

),

model_wvs as (

    select
        {{ group_key | join(', ') }}, culture_i, culture_j,
        avg(s) as s,
        count(*) as n_trials,
        min(n_questions) as n_questions_min
    from model_wvs_trials
    group by all

),

joined as (

    select
        culture_pairs.*,
        culture_pairs.culture_i = culture_pairs.culture_j as is_diagonal,
        model_model.s as s_model_model,
        coalesce(model_model.n_trials, 0) as n_trials_model_model,
        coalesce(model_model.n_questions_min, 0) as n_questions_model_model,
        model_wvs.s as s_model_wvs,
        coalesce(model_wvs.n_trials, 0) as n_trials_model_wvs,
        coalesce(model_wvs.n_questions_min, 0) as n_questions_model_wvs,
        wvs_reference.s as s_wvs_reference,
        coalesce(wvs_reference.n_questions, 0) as n_questions_wvs_reference
    from culture_pairs
    left join model_model
        on {{ null_safe_join('culture_pairs', 'model_model', group_key + ['culture_i', 'culture_j']) }}
    left join model_wvs
        on {{ null_safe_join('culture_pairs', 'model_wvs', group_key + ['culture_i', 'culture_j']) }}
    left join wvs_reference
        on {{ equi_join('culture_pairs', 'wvs_reference', ['culture_i', 'culture_j']) }}

),

final as (

    select
        {{ contract_casts() }}
    from joined

)

select * from final
