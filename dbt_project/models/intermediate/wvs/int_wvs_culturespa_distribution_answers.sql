{{ config(materialized='table') }}
{#-
    The valid wvs_culturespa evaluation answers that distribution similarity's bootstrap
    resamples, numbered. Answer group G = run × model × versions × persona country × prompt
    language × style × strategy × variant × question (group_id: its dense rank); its n valid
    answers are pooled over trials and numbered 1..n in the order of their content (code, then
    probabilities), answers with the same content forming one content c (dense rank), so the
    numbering depends only on the multiset of answers, never on trial labels or row order.
    group_label (persona country, prompt language, style, strategy, variant, question; not the
    run) seeds the group's draws (int_wvs_culturespa_distribution_replicates).
-#}
{%- set group_key = distribution_group_key() -%}

with

answers as (

    select * from {{ ref('int_wvs_culturespa_answers_coded') }}
    where in_culturespa_eval
      and answer_status = 'valid'

),

numbered as (

    select
        *,
        dense_rank() over (order by {{ group_key | join(', ') }}) as group_id,
        row_number() over (
            partition by {{ group_key | join(', ') }}
            order by model_code, answer_probs nulls first
        ) as answer_index,
        dense_rank() over (
            partition by {{ group_key | join(', ') }}
            order by model_code, answer_probs nulls first
        ) as content_id,
        count(*) over (partition by {{ group_key | join(', ') }}) as n_valid
    from answers

),

final as (

    select
        group_id,
        {{ group_key | join(',\n        ') }},
        answer_index,
        content_id,
        max(content_id) over (partition by group_id) as n_contents,
        n_valid,
        n_options,
        option_code_base,
        model_code,
        answer_probs,
        concat_ws('|', coalesce(country, '-'), prompt_language, style, strategy, variant, item_id) as group_label
    from numbered

)

select * from final
