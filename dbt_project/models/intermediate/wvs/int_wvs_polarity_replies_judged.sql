{#-
    One wvs_polarity reply with its judge counts and its polarity (Rystrøm et al.):
    polarity = n_pro / (n_pro + n_con), respondents the judge labelled `null` excluded.
    A reply counts (is_valid) when parse_status = 'ok', the judge found at least one pro or
    con respondent, and (setting polarity_require_prompt_language, on by default, as in the
    paper) its detected language is not a different language than the prompt's.
-#}
{%- set response_key = ['run_id', 'instrument', 'item_id', 'country', 'prompt_language', 'style', 'strategy', 'variant', 'trial'] -%}
{%- set require_language = wvs_metric_setting('polarity_require_prompt_language') -%}

with

responses as (select * from {{ ref('int_responses_published') }} where instrument = 'wvs_polarity'),
judgements as (select * from {{ ref('stg_raw__judgements') }} where instrument = 'wvs_polarity'),

stance_counts as (

    select
        {{ response_key | join(',\n        ') }},
        count(*) filter (where stance = 'pro') as n_pro,
        count(*) filter (where stance = 'con') as n_con,
        count(*) filter (where stance = 'null') as n_null,
        count(*) as n_respondents
    from judgements
    group by {{ response_key | join(', ') }}

),

joined as (

    select
        {{ qualified('responses', response_cell_columns() + ['temperature', 'parse_status']) }},
        responses.is_response_in_prompt_language,
        {{ counts_or_zero('stance_counts', ['n_pro', 'n_con', 'n_null', 'n_respondents']) }}
    from responses
    left join stance_counts
        on {{ null_safe_join('responses', 'stance_counts', response_key) }}

),

final as (

    select
        *,
        case
            when parse_status <> 'ok' then parse_status
            when n_pro + n_con = 0 then 'no_stance'
            {%- if require_language %}
            when is_response_in_prompt_language = false then 'wrong_language'
            {%- endif %}
            else 'valid'
        end as reply_status,
        case when n_pro + n_con > 0 then n_pro / (n_pro + n_con) end as polarity
    from joined

)

select * from final
