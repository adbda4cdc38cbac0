{{ config(materialized='table') }}
{#-
    Distribution similarity's bootstrap expressed as weights (Bravansky et al.; see
    distribution_similarity.yml and docs/metrics.md, "Distribution similarity: the bootstrap"):
    for every answer group, its distinct weight vectors, each with how many of the B replicates
    drew it (int_wvs_culturespa_distribution_replicates). The point estimate (replicate 0) is
    the weight vector of the full sample, each answer once, i.e. the content counts; the model
    distribution of a vector w is sum_c w_c * distribution_c / n, one formula for the point
    estimate and every replicate (int_wvs_culturespa_distributions_bootstrapped).

    A group with one content draws nothing: its point estimate stands for all B replicates.
    weights_key is the replicates model's (for n <= 9 the integer sum_c w_c (n + 1)^(c - 1), so a
    replicate that draws the full sample's contents shares the point estimate's vector).
-#}
{%- set group_key = distribution_group_key() -%}
{%- set replicates = wvs_metric_setting('distribution_bootstrap_replicates') | int -%}

with

answers as (select * from {{ ref('int_wvs_culturespa_distribution_answers') }}),
replicates as (select * from {{ ref('int_wvs_culturespa_distribution_replicates') }}),

groups as (

    select
        group_id,
        {{ group_key | join(',\n        ') }},
        any_value(n_valid) as n_valid,
        any_value(n_contents) as n_contents,
        any_value(n_options) as n_options,
        any_value(option_code_base) as option_code_base
    from answers
    group by group_id, {{ group_key | join(', ') }}

),

-- what each content is (code, probabilities), in content order
group_contents as (

    select
        group_id,
        list({'model_code': model_code, 'answer_probs': answer_probs} order by content_id) as contents
    from (select distinct group_id, content_id, model_code, answer_probs from answers)
    group by group_id

),

-- replicate 0: each answer once; the key of the replicates model (n > 9 and resampled: 0,
-- which no replicate has)
point_vectors as (

    select
        group_id,
        case
            when any_value(n_contents) > 1 and any_value(n_valid) > 9 then 0
            else sum(cast(pow(n_valid + 1, content_id - 1) as bigint))
        end as weights_key,
        true as is_point_estimate
    from answers
    group by group_id

),

replicate_vectors as (

    select
        group_id,
        weights_key,
        count(*) as n_replicates,
        any_value(chunked_weights) as chunked_weights
    from replicates
    group by group_id, weights_key

),

vectors as (

    select
        coalesce(point_vectors.group_id, replicate_vectors.group_id) as group_id,
        coalesce(point_vectors.weights_key, replicate_vectors.weights_key) as weights_key,
        coalesce(point_vectors.is_point_estimate, false) as is_point_estimate,
        replicate_vectors.n_replicates,
        replicate_vectors.chunked_weights
    from point_vectors
    full outer join replicate_vectors
        on {{ equi_join('point_vectors', 'replicate_vectors', ['group_id', 'weights_key']) }}

),

-- the weights of a vector: its key's base-(n + 1) digits, or the chunked replicate's own
-- counts; the point estimate's are the content counts
vector_weights as (

    select
        vectors.group_id,
        vectors.weights_key,
        coalesce(
            case when vectors.is_point_estimate then point_weights.weights end,
            vectors.chunked_weights,
            key_weights.weights
        ) as weights
    from vectors
    left join (
        select group_id, list({'content_id': content_id, 'weight': weight} order by content_id) as weights
        from (select group_id, content_id, count(*) as weight from answers group by all)
        group by group_id
    ) as point_weights
        on vectors.group_id = point_weights.group_id
    left join (
        select
            decoded.group_id,
            decoded.weights_key,
            list({'content_id': decoded.content_id, 'weight': decoded.weight} order by decoded.content_id)
                as weights
        from (
            select
                vectors.group_id,
                vectors.weights_key,
                contents.content_id,
                cast((vectors.weights_key // cast(pow(groups.n_valid + 1, contents.content_id - 1) as bigint))
                    % (groups.n_valid + 1) as bigint) as weight
            from vectors
            inner join groups on vectors.group_id = groups.group_id
            cross join range(1, 10) as contents(content_id)
            where vectors.weights_key > 0
              and groups.n_valid <= 9
              and contents.content_id <= groups.n_contents
        ) as decoded
        where decoded.weight > 0
        group by decoded.group_id, decoded.weights_key
    ) as key_weights
        on {{ equi_join('vectors', 'key_weights', ['group_id', 'weights_key']) }}

),

final as (

    select
        groups.group_id,
        {{ qualified('groups', group_key) }},
        groups.n_valid,
        groups.n_options,
        groups.option_code_base,
        groups.n_contents,
        group_contents.contents,
        vectors.weights_key,
        dense_rank() over (partition by vectors.group_id order by vectors.weights_key) as weights_id,
        vector_weights.weights,
        vectors.is_point_estimate,
        cast(case
            when groups.n_contents = 1 then {{ replicates }}
            else coalesce(vectors.n_replicates, 0)
        end as integer) as n_replicates
    from vectors
    inner join groups on vectors.group_id = groups.group_id
    inner join group_contents on vectors.group_id = group_contents.group_id
    inner join vector_weights
        on {{ equi_join('vectors', 'vector_weights', ['group_id', 'weights_key']) }}

)

select * from final
