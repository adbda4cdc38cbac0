{#-
    CultureSPA's cultural alignment score S (Eq. 1, as the released scoring code computes it)
    per trial, then averaged over trials. See the yml for the definition and every choice.
-#}
{%- set slice_key = run_version_key() + ['prompt_language', 'style', 'strategy', 'variant'] -%}
{%- set group_key = slice_key + ['country', 'is_persona_free'] -%}

with

answers as (select * from {{ ref('int_wvs_culturespa_answers_scored') }}),
countries as (select * from {{ ref('culturespa_countries') }}),

-- S of one trial: (1 - sqrt(sum (a - r)^2) / sqrt(sum (K - 1)^2)) * 100 over its scored questions
trial_scores as (

    select
        {{ group_key | join(',\n        ') }},
        trial,
        count(*) filter (where is_scored) as n_scored,
        case
            when count(*) filter (where is_scored) > 0
                then {{ cas_formula('sum(squared_difference)', 'sum(squared_max_difference)') }}
        end as trial_cas
    from answers
    group by {{ group_key | join(', ') }}, trial

),

over_trials as (

    select
        {{ group_key | join(',\n        ') }},
        -- the mean over trials in trial order, as the replicates take it (bit-identical on a rebuild)
        {{ ordered_avg('trial_cas', 'trial') }} as cas,
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

-- a country without WVS ground truth has no score and no scored counts
gated as (

    select
        * replace (
            case when has_ground_truth and n_trials_scored > 0 then cas end as cas,
            case when has_ground_truth then cas_trial_stddev end as cas_trial_stddev,
            case when has_ground_truth then n_questions else 0 end as n_questions,
            case when has_ground_truth then n_scored_answers else 0 end as n_scored_answers,
            case when has_ground_truth then n_trials_scored else 0 end as n_trials_scored,
            case when has_ground_truth then n_no_majority end as n_no_majority
        ),
        case
            when not has_ground_truth then 'no_ground_truth'
            when n_trials_scored = 0 then 'no_valid_answer'
        end as null_reason
    from joined

),

-- the run's mean over the countries with a score, per slice (what a reader shows as its average)
slice_means as (

    select
        {{ slice_key | join(',\n        ') }},
        {{ ordered_avg('cas', 'country') }} as cas_mean_over_countries,
        count(cas) as n_countries_scored
    from gated
    group by {{ slice_key | join(', ') }}

),

with_slice_means as (

    select gated.*, slice_means.cas_mean_over_countries, slice_means.n_countries_scored
    from gated
    inner join slice_means on {{ null_safe_join('gated', 'slice_means', slice_key) }}

),

final as (

    select
        {{ contract_casts() }}
    from with_slice_means

)

select * from final
