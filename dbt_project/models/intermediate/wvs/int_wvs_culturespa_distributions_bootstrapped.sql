{{ config(materialized='table') }}
{#-
    Wasserstein-1 distance between the model's and the human answer distribution of one
    wvs_culturespa question (Bravansky et al.) for each weight vector of its answer group
    (int_wvs_culturespa_distribution_weights): the point estimate and every distinct bootstrap
    replicate, one formula. See distribution_similarity.yml for the method.

    The model distribution of weight vector w is sum_c w_c * distribution_c / n over the group's
    contents c (an answer's distribution: its answer_probs (logprobs) or a point mass on its
    code (parsed)), and
    W = sum_{k=0}^{K-2} |F_model(k) - F_human(k)| / (K - 1), positions scaled to [0, 1].

    Exact: probabilities are carried as integers in units of 1e-9 (the human shares have 6
    decimals, so exactly; model probabilities rounded to 1e-9), so every sum is an exact
    integer sum, independent of the order a parallel aggregate adds in, and a rerun gives
    bit-identical numbers; W is one division at the end.
-#}
{%- set scale = 1000000000 -%}
{%- set group_key = distribution_group_key() -%}

with

weight_vectors as (select * from {{ ref('int_wvs_culturespa_distribution_weights') }}),
culturespa_countries as (select * from {{ ref('culturespa_countries') }}),
questions as (select * from {{ ref('wvs_cultureSPA_questions') }}),
human_answers as (select * from {{ ref('wvs_cultureSPA_answers') }}),

groups as (

    select distinct group_id, {{ group_key | join(', ') }}, n_valid, n_options
    from weight_vectors

),

-- each weight vector's contents with their weights (a content: its code and probabilities)
weighted_contents as (

    select
        group_id,
        weights_id,
        n_options,
        option_code_base,
        entry.weight,
        contents[entry.content_id].model_code as model_code,
        contents[entry.content_id].answer_probs as answer_probs
    from weight_vectors,
        unnest(weights) as entries(entry)

),

-- n * S * F_model(k), an exact integer: sum over contents of weight * units(k), cumulated,
-- a content's units at position k being its probability there in units of 1e-9
model_cdfs as (

    select
        group_id,
        weights_id,
        position,
        sum(sum(
            weight * case
                when answer_probs is not null
                    then cast(round(answer_probs[position + 1] / list_sum(answer_probs) * {{ scale }}) as bigint)
                when position = model_code - option_code_base then {{ scale }}
                else 0
            end
        )) over (
            partition by group_id, weights_id
            order by position rows between unbounded preceding and current row
        ) as cumulative_units
    from weighted_contents,
        unnest(range(n_options)) as positions(position)
    group by group_id, weights_id, position

),

-- human shares in units of 1e-9 (exact: the seed has 6 decimals); options nobody chose get 0
human_units as (

    select
        culturespa_countries.country_code as reference_country,
        questions.q_id as item_id,
        positions.position,
        coalesce(cast(round(human_answers.proportion_renormalised * {{ scale }}) as bigint), 0) as units
    from questions
    cross join culturespa_countries
    cross join unnest(range(questions.n_options)) as positions(position)
    left join human_answers
        on human_answers.country_code = culturespa_countries.iso3
        and human_answers.q_id = questions.q_id
        and human_answers.option_code - questions.option_code_base = positions.position
    where questions.in_culturespa_eval
      and exists (
          select 1 from human_answers as asked
          where asked.country_code = culturespa_countries.iso3 and asked.q_id = questions.q_id
      )

),

-- T * F_human(k) with T = the total units (the renormalisation to sum 1)
human_cdfs as (

    select
        reference_country,
        item_id,
        position,
        sum(units) over (
            partition by reference_country, item_id
            order by position rows between unbounded preceding and current row
        ) as cumulative_units,
        sum(units) over (partition by reference_country, item_id) as total_units
    from human_units

),

-- persona answers are compared with their own country, persona-free ones with every country
group_references as (

    select
        groups.group_id,
        groups.n_valid,
        groups.n_options,
        groups.item_id,
        coalesce(groups.country, culturespa_countries.country_code) as reference_country
    from groups
    inner join culturespa_countries
        on groups.country is null or groups.country = culturespa_countries.country_code

),

-- W = sum_k |F_m(k) - F_h(k)| / (K - 1), with F_m = A / (n S), F_h = B / T:
--   |A / (n S) - B / T| = |A T - B n S| / (n S T), summed exactly over k = 0..K-2
distances as (

    select
        group_references.group_id,
        group_references.reference_country,
        model_cdfs.weights_id,
        cast(sum(abs(
            cast(model_cdfs.cumulative_units as hugeint) * human_cdfs.total_units
            - cast(human_cdfs.cumulative_units as hugeint) * group_references.n_valid * {{ scale }}
        )) as double)
            / (cast(group_references.n_valid as double) * {{ scale }} * any_value(human_cdfs.total_units))
            / (group_references.n_options - 1) as wasserstein
    from group_references
    inner join model_cdfs on group_references.group_id = model_cdfs.group_id
    inner join human_cdfs
        on {{ equi_join('group_references', 'human_cdfs', ['reference_country', 'item_id']) }}
        and model_cdfs.position = human_cdfs.position
    where model_cdfs.position < group_references.n_options - 1
    group by
        group_references.group_id, group_references.reference_country, model_cdfs.weights_id,
        group_references.n_valid, group_references.n_options

),

final as (

    select
        weight_vectors.group_id,
        {{ qualified('weight_vectors', group_key) }},
        distances.reference_country,
        weight_vectors.weights_id,
        weight_vectors.weights_key,
        weight_vectors.n_contents,
        weight_vectors.is_point_estimate,
        weight_vectors.n_replicates,
        distances.wasserstein,
        1 - distances.wasserstein as similarity
    from distances
    inner join weight_vectors
        on {{ equi_join('distances', 'weight_vectors', ['group_id', 'weights_id']) }}

)

select * from final
