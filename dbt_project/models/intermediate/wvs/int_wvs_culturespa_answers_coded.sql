{#-
    wvs_culturespa answers reduced to the model's WVS option code r (CultureSPA Eq. 1):
      - from logprobs (answer_probs present): the code of the most probable option,
        option_code_base + (first index of the maximum) - 1 (a tie goes to the lower code);
      - parsed: the parsed answer, which docs/raw-data.md says is already the WVS code.
    An answer is `valid` only when parse_status = 'ok' and the code is a whole number inside
    the question's codes; every other row keeps its reason in answer_status.
-#}
with

responses as (select * from {{ ref('int_responses_published') }} where instrument = 'wvs_culturespa'),
questions as (select * from {{ ref('wvs_cultureSPA_questions') }}),

joined as (

    select
        {{ qualified('responses', response_cell_columns() + ['temperature', 'parse_status']) }},
        responses.answer,
        responses.answer_probs,
        questions.q_id is not null as is_known_question,
        coalesce(questions.in_culturespa_eval, false) as in_culturespa_eval,
        questions.n_options,
        questions.option_code_base
    from responses
    left join questions on responses.item_id = questions.q_id

),

candidate_codes as (

    select
        *,
        case
            when answer_probs is not null
                then option_code_base + list_position(answer_probs, list_max(answer_probs)) - 1
            else answer
        end as candidate_code,
        answer_probs is not null as is_from_logprobs
    from joined

),

classified as (

    select
        *,
        case
            when not is_known_question then 'unknown_question'
            when parse_status <> 'ok' then parse_status
            when is_from_logprobs and len(answer_probs) <> n_options then 'bad_probs'
            when candidate_code is null then 'missing_answer'
            when candidate_code <> round(candidate_code)
              or candidate_code < option_code_base
              or candidate_code > option_code_base + n_options - 1 then 'out_of_range'
            else 'valid'
        end as answer_status
    from candidate_codes

),

final as (

    select
        {{ response_cell_columns() | join(',\n        ') }},
        temperature,
        parse_status,
        answer_status,
        is_from_logprobs,
        in_culturespa_eval,
        n_options,
        option_code_base,
        case when answer_status = 'valid' then cast(candidate_code as integer) end as model_code,
        case when answer_status = 'valid' then answer_probs end as answer_probs
    from classified

)

select * from final
