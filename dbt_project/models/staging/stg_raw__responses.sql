{#-
    Raw probe answers, renamed and cast only. An incremental table that reads each raw file
    once: a build reads just the files that landed since the last one (macros/raw_parquet.sql),
    so downstream models and tests read a DuckDB table instead of opening every Parquet file.
    `loaded_at` marks the build that loaded a row (the staging tests check the runs of the
    latest load, see dbt_project.yml).
-#}
{{ raw_staging_config('responses') }}

with

source as (

    {{ raw_staging_source('raw', 'responses', 'responses') }}

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
        cast(response_truncated as boolean) as is_response_truncated,
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
        cast(answer_shared_from_trial as integer) as answer_shared_from_trial,

        ---------- numerics
        cast(latency_ms as double) as latency_ms,
        cast(prompt_tokens as integer) as prompt_tokens,
        cast(completion_tokens as integer) as completion_tokens,

        ---------- timestamps
        cast(requested_at as timestamptz) as requested_at,

        ---------- lineage
        cast(source_file as varchar) as source_file,
        {{ staging_loaded_at() }} as loaded_at

    from source

)

select * from renamed
