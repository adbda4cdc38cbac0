{#-
    VSM 2013 dimension scores per questionnaire pass, in long form (one row per dimension).
    Weights and items come from the seed vsm2013_formulas. An item answer counts when
    parse_status = 'ok' and answer is not null; a dimension with any of its items missing
    or not counted is NULL (raw_score and score).
-#}
{%- set key = vsm_trial_key() -%}

with

responses as (

    select * from {{ ref('stg_raw__responses') }}
    where instrument = 'vsm2013'

),

formulas as (

    select * from {{ ref('vsm2013_formulas') }}

),

-- raw index = sum over a dimension's terms of signed_weight * answer
formula_terms as (

    select dimension, plus_item_1 as item_id, weight_1 as signed_weight from formulas
    union all
    select dimension, minus_item_1 as item_id, -weight_1 as signed_weight from formulas
    union all
    select dimension, plus_item_2 as item_id, weight_2 as signed_weight from formulas
    union all
    select dimension, minus_item_2 as item_id, -weight_2 as signed_weight from formulas

),

-- raw_min/raw_max: the raw index at the extreme answers of the scale (each term at its
-- smaller/larger end): for w1*(a - b) + w2*(c - d) on 1..5, -(w1 + w2)*4 and +(w1 + w2)*4
terms as (

    select
        dimension,
        item_id,
        signed_weight,
        sum(least(
            signed_weight * {{ var('vsm_scale_min') }},
            signed_weight * {{ var('vsm_scale_max') }}
        )) over (partition by dimension) as raw_min,
        sum(greatest(
            signed_weight * {{ var('vsm_scale_min') }},
            signed_weight * {{ var('vsm_scale_max') }}
        )) over (partition by dimension) as raw_max,
        count(*) over (partition by dimension) as n_terms
    from formula_terms

),

valid_answers as (

    select
        {{ key | join(',\n        ') }},
        item_id,
        answer
    from responses
    where parse_status = 'ok'
      and answer is not null

),

-- every questionnaire pass that has at least one response row, whatever its status
trial_cells as (

    select
        {{ key | join(',\n        ') }},
        count(distinct item_id) filter (
            where parse_status = 'ok'
              and answer is not null
              and item_id in (select item_id from terms)
        ) as n_valid,
        (select count(distinct item_id) from terms) as n_items_expected
    from responses
    group by {{ key | join(', ') }}

),

cell_terms as (

    select
        trial_cells.*,
        terms.dimension,
        terms.item_id,
        terms.signed_weight,
        terms.raw_min,
        terms.raw_max,
        terms.n_terms
    from trial_cells
    cross join terms

),

term_answers as (

    select
        cell_terms.*,
        valid_answers.answer
    from cell_terms
    left join valid_answers
        on {{ null_safe_join('cell_terms', 'valid_answers', key + ['item_id']) }}

),

aggregated as (

    select
        {{ key | join(',\n        ') }},
        dimension,
        any_value(n_valid) as n_valid,
        any_value(n_items_expected) as n_items_expected,
        any_value(n_terms) as n_items_required,
        count(answer) as n_items_used,
        sum(signed_weight * answer) as raw_sum,
        any_value(raw_min) as raw_min,
        any_value(raw_max) as raw_max
    from term_answers
    group by {{ key | join(', ') }}, dimension

),

scored as (

    select
        {{ key | join(',\n        ') }},
        dimension,
        case when n_items_used = n_items_required then raw_sum end as raw_score,
        case
            when n_items_used = n_items_required
                then {{ vsm_normalise('raw_sum', 'raw_min', 'raw_max') }}
        end as score,
        '{{ var("vsm_normalisation") }}' as normalisation,
        n_items_used,
        n_items_required,
        n_valid,
        n_items_expected
    from aggregated

)

select * from scored
