with

source as (

    select * from {{ source('raw', 'responses') }}

),

renamed as (

    select
        ---------- ids and grid coordinates (the raw key)
        cast(run_id as varchar) as run_id,
        cast(instrument as varchar) as instrument,
        cast(item_id as varchar) as item_id,
        cast(country as varchar) as country,
        cast(prompt_language as varchar) as prompt_language,
        cast(style as varchar) as style,
        cast(strategy as varchar) as strategy,
        cast(variant as varchar) as variant,
        cast(trial as integer) as trial,

        ---------- model and versions
        cast(model as varchar) as model,
        cast(model_version as varchar) as model_version,
        cast(instrument_version as varchar) as instrument_version,
        cast(parser_version as varchar) as parser_version,

        ---------- request
        cast(prompt as varchar) as prompt,
        cast(temperature as double) as temperature,
        cast(seed as bigint) as seed,
        cast(max_tokens as integer) as max_tokens,

        ---------- response
        cast(response_text as varchar) as response_text,
        cast(answer as double) as answer,
        cast(answer_probs as double[]) as answer_probs,
        cast(answer_method as varchar) as answer_method,
        cast(option_mass as double) as option_mass,
        cast(parse_status as varchar) as parse_status,
        cast(error as varchar) as error,
        cast(cache_hit as boolean) as is_cache_hit,
        cast(response_language as varchar) as response_language,
        cast(response_language_matches as boolean) as is_response_in_prompt_language,
        cast(judge_model as varchar) as judge_model,
        cast(judge_response as varchar) as judge_response,

        ---------- numerics
        cast(latency_ms as double) as latency_ms,
        cast(prompt_tokens as integer) as prompt_tokens,
        cast(completion_tokens as integer) as completion_tokens,

        ---------- timestamps
        cast(requested_at as timestamptz) as requested_at,

        ---------- lineage
        cast(source_file as varchar) as source_file

    from source

)

select * from renamed
