{{ config(materialized='table') }}
{#-
    Paired-bootstrap replicates of the cultural alignment score (CultureSPA Eq. 1) of both runs
    of every comparable wvs_culturespa version pair, recomputed from the scored answers
    (int_wvs_culturespa_answers_scored). Replicate 0 is the identity draw and reproduces
    marts.cultural_alignment_score (checked by a data test).

    Items = questions. For each pair and country, the population is the questions either run was
    asked in the metrics' slices (any strategy, any parse status) that have a WVS majority for
    the country, ordered by question id; replicate b draws as many questions with replacement
    (label `wvs_culturespa|<country>`: the same draws for both runs and for every pair with the
    same questions). A question drawn m times counts m times in both sums of every trial:
        S*_t = (1 - sqrt(sum_i m_i (a_i - r_i)^2) / sqrt(sum_i m_i (K_i - 1)^2)) * 100
    over the drawn questions the trial answered validly, and CAS* = mean of S*_t over the trials
    with at least one such question (as the mart averages trials).
-#}
with

{{ regression_pair_runs('wvs_culturespa') }},

scored_answers as (select * from {{ ref('int_wvs_culturespa_answers_scored') }}),

answers as (

    select
        {{ pair_run_columns() }},
        {{ qualified('scored_answers', [
            'country', 'prompt_language', 'trial', 'item_id', 'majority_option_code', 'is_scored',
            'squared_difference', 'squared_max_difference',
        ]) }}
    from scored_answers
    {{ in_pair_runs_of_metric('scored_answers', 'wvs_culturespa') }}

),

-- the questions asked in the pair with a majority for the country: the resampled population
-- of one unit (pair x country); the heavy steps key on integers (unit_id, item_index, cell_id)
questions as (

    {{ bootstrap_population('(select * from answers where majority_option_code is not null)') }}

),

-- the scored answers, each in its cell (one trial of one run, metric, country and language)
scored as (

    select
        questions.unit_id,
        questions.item_index,
        dense_rank() over (
            order by answers.pair_id, answers.side, answers.metric, answers.country,
                answers.prompt_language, answers.trial
        ) as cell_id,
        {{ replicate_cell_columns('answers') }},
        answers.trial,
        answers.squared_difference,
        answers.squared_max_difference
    from answers
    inner join questions
        on {{ equi_join('answers', 'questions', ['pair_id', 'country', 'item_id']) }}
    where answers.is_scored

),

cells as (

    select distinct cell_id, pair_id, side, run_id, metric, country, prompt_language, trial
    from scored

),

{{ bootstrap_item_multiplicities('questions', ['unit_id'], "'wvs_culturespa|' || country") }},

-- the sums are exact (integer terms), so their order does not matter
trial_sums as (

    select
        scored.cell_id,
        multiplicities.replicate,
        sum(multiplicities.multiplicity * scored.squared_difference) as sum_squared_difference,
        sum(multiplicities.multiplicity * scored.squared_max_difference) as sum_squared_max_difference
    from scored
    inner join multiplicities
        on {{ equi_join('scored', 'multiplicities', ['unit_id', 'item_index']) }}
    group by scored.cell_id, multiplicities.replicate

),

trial_scores as (

    select
        {{ replicate_cell_columns('cells') }},
        cells.trial,
        trial_sums.replicate,
        {{ cas_formula('trial_sums.sum_squared_difference', 'trial_sums.sum_squared_max_difference') }}
            as trial_cas
    from trial_sums
    inner join cells on trial_sums.cell_id = cells.cell_id

),

final as (

    select
        pair_id,
        side,
        run_id,
        metric,
        country,
        prompt_language,
        replicate,
        -- the mean over trials is taken in trial order (bit-identical on a rebuild)
        {{ ordered_avg('trial_cas', 'trial') }} as value
    from trial_scores
    group by pair_id, side, run_id, metric, country, prompt_language, replicate

)

select * from final
