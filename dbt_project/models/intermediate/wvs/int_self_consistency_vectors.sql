{#-
    The answer vectors self_consistency correlates, in long form: one row per group × basis ×
    unit × point. A group is run × model × version × instrument × country × prompt language ×
    style × strategy (× variant for basis `trials`); the units of a group are the vectors
    compared pairwise:
      vsm2013, basis trials    unit = trial of one variant, point = item m01..m24,
                               value = the answer (1..5; expected value when from logprobs)
      vsm2013, basis variants  unit = prompt variant, value = the item's mean answer over the
                               variant's trials
      wvs_polarity, variants   unit = prompt variant tpl<TT>-var<V>, point = topic, value = the
                               topic's polarity pooled over the variant's trials
    Only valid answers: parse_status 'ok' with an answer (VSM); valid replies (polarity).
-#}
with

responses as (

    select * from {{ ref('int_responses_published') }}
    where instrument = 'vsm2013'
      and parse_status = 'ok'
      and answer is not null

),

polarity_replies as (select * from {{ ref('int_wvs_polarity_replies_judged') }} where reply_status = 'valid'),

vsm_trials as (

    select
        run_id, model, model_version, instrument, country, prompt_language, style, strategy,
        variant,
        'trials' as basis,
        cast(trial as varchar) as unit,
        item_id as point,
        answer as value,
        temperature,
        answer_shared_from_trial is not null as is_shared_answer
    from responses

),

vsm_variants as (

    select
        run_id, model, model_version, instrument, country, prompt_language, style, strategy,
        cast(null as varchar) as variant,
        'variants' as basis,
        variant as unit,
        item_id as point,
        avg(answer) as value,
        max(temperature) as temperature
    from responses
    group by all

),

polarity_variants as (

    select
        run_id, model, model_version, 'wvs_polarity' as instrument, country, prompt_language,
        style, strategy,
        cast(null as varchar) as variant,
        'variants' as basis,
        variant as unit,
        item_id as point,
        sum(n_pro) / sum(n_pro + n_con) as value,
        max(temperature) as temperature
    from polarity_replies
    group by all

),

final as (

    select * from vsm_trials
    union all by name
    select * from vsm_variants
    union all by name
    select * from polarity_variants

)

select * from final
