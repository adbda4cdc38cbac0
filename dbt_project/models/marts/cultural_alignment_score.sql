{#-
    CultureSPA's cultural alignment score S (Eq. 1, as the released scoring code computes it)
    per trial, then averaged over trials. See the yml for the definition and every choice.
-#}
{%- set group_key = [
    'run_id', 'model', 'model_version', 'instrument_version', 'parser_version', 'country',
    'is_persona_free', 'prompt_language', 'style', 'strategy', 'variant',
] -%}

with

answers as (

    select * from {{ ref('int_wvs_culturespa_answers_scored') }}

),

countries as (

    select * from {{ ref('culturespa_countries') }}

),

-- S of one trial: (1 - sqrt(sum (a - r)^2) / sqrt(sum (K - 1)^2)) * 100 over its scored questions
trial_scores as (

    select
        {{ group_key | join(',\n        ') }},
        trial,
        count(*) filter (where is_scored) as n_scored,
        case
            when count(*) filter (where is_scored) > 0
                then (1 - sqrt(sum(squared_difference)) / sqrt(sum(squared_max_difference))) * 100
        end as trial_cas
    from answers
    group by {{ group_key | join(', ') }}, trial

),

over_trials as (

    select
        {{ group_key | join(',\n        ') }},
        avg(trial_cas) as cas,
        stddev_samp(trial_cas) as cas_trial_stddev,
        count(*) as n_trials,
        count(trial_cas) as n_trials_scored
    from trial_scores
    group by {{ group_key | join(', ') }}

),

answer_counts as (

    select
        {{ group_key | join(',\n        ') }},
        bool_and(has_ground_truth) as has_ground_truth,
        count(distinct item_id) filter (where is_scored) as n_questions,
        count(*) filter (where is_scored) as n_scored_answers,
        count(*) as n_answers,
        count(*) filter (where answer_status <> 'valid') as n_invalid,
        count(*) filter (where answer_status in ('unparseable', 'refusal')) as n_unparseable_or_refusal,
        count(*) filter (where answer_status = 'error') as n_error,
        count(*) filter (
            where answer_status in ('out_of_range', 'missing_answer', 'bad_probs')
        ) as n_out_of_range,
        count(*) filter (where answer_status = 'valid' and not is_scored) as n_no_majority
    from answers
    group by {{ group_key | join(', ') }}

),

joined as (

    select
        answer_counts.*,
        over_trials.cas,
        over_trials.cas_trial_stddev,
        over_trials.n_trials,
        over_trials.n_trials_scored,
        countries.in_paper_18
    from answer_counts
    inner join over_trials
        on {{ null_safe_join('answer_counts', 'over_trials', group_key) }}
    left join countries on answer_counts.country = countries.country_code

),

final as (

    select
        cast(run_id as varchar) as run_id,
        cast(model as varchar) as model,
        cast(model_version as varchar) as model_version,
        cast(instrument_version as varchar) as instrument_version,
        cast(parser_version as varchar) as parser_version,
        cast(country as varchar) as country,
        cast(strategy as varchar) as strategy,
        cast(prompt_language as varchar) as prompt_language,
        cast(style as varchar) as style,
        cast(variant as varchar) as variant,
        cast(is_persona_free as boolean) as is_persona_free,
        cast(in_paper_18 as boolean) as in_paper_18,
        cast(case when has_ground_truth and n_trials_scored > 0 then cas end as double) as cas,
        cast(case when has_ground_truth then cas_trial_stddev end as double) as cas_trial_stddev,
        cast(case when has_ground_truth then n_questions else 0 end as integer) as n_questions,
        cast(case when has_ground_truth then n_scored_answers else 0 end as integer) as n_scored_answers,
        cast(n_trials as integer) as n_trials,
        cast(case when has_ground_truth then n_trials_scored else 0 end as integer) as n_trials_scored,
        cast(n_answers as integer) as n_answers,
        cast(n_invalid as integer) as n_invalid,
        cast(n_unparseable_or_refusal as integer) as n_unparseable_or_refusal,
        cast(n_error as integer) as n_error,
        cast(n_out_of_range as integer) as n_out_of_range,
        cast(case when has_ground_truth then n_no_majority end as integer) as n_no_majority,
        cast(case
            when not has_ground_truth then 'no_ground_truth'
            when n_trials_scored = 0 then 'no_valid_answer'
        end as varchar) as null_reason
    from joined

)

select * from final
