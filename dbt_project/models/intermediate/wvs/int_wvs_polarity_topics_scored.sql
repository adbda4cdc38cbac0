{#-
    The model's value polarity per topic, pooled over every valid reply of the topic in a
    run × prompt language (all prompt variants and trials): polarity = sum(n_pro) /
    sum(n_pro + n_con), i.e. the share of pro among all hypothetical respondents with a
    stance, the same unit as the WVS pro-score (a share of respondents).
-#}
with

replies as (select * from {{ ref('int_wvs_polarity_replies_judged') }}),

final as (

    select
        run_id,
        model,
        model_version,
        instrument_version,
        parser_version,
        prompt_language,
        style,
        strategy,
        item_id,
        sum(n_pro) filter (where reply_status = 'valid') as n_pro,
        sum(n_con) filter (where reply_status = 'valid') as n_con,
        sum(n_null) filter (where reply_status = 'valid') as n_null,
        count(*) filter (where reply_status = 'valid') as n_valid_replies,
        count(*) as n_replies,
        sum(n_pro) filter (where reply_status = 'valid')
            / sum(n_pro + n_con) filter (where reply_status = 'valid') as polarity
    from replies
    group by all

)

select * from final
