{#-
    Probe-run lifecycle events, renamed and cast only; an incremental table that reads each raw
    file once (macros/raw_parquet.sql). `instrument` and `cost_usd` were added to
    RUN_EVENT_SCHEMA later: a batch of files written before them reads them as NULL (the typed
    empty row of read_raw_parquet supplies every declared column).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_vanished_raw_files('runs') }}",
    )
}}
{%- set files = raw_files_to_load('runs') -%}

with

source as (

    {{ read_raw_parquet('raw', 'run_events', 'runs', files) }}

),

renamed as (

    select
        ---------- ids
        cast(run_id as varchar) as run_id,
        cast(event as varchar) as event,
        cast(instrument as varchar) as instrument,

        ---------- model and endpoint
        cast(model as varchar) as model,
        cast(model_version as varchar) as model_version,
        cast(base_url as varchar) as base_url,
        cast(prompt_language as varchar) as prompt_language,

        ---------- numerics
        cast(cells_planned as bigint) as cells_planned,
        cast(cells_answered as bigint) as cells_answered,
        cast(requests_sent as bigint) as requests_sent,
        cast(prompt_tokens as bigint) as prompt_tokens,
        cast(completion_tokens as bigint) as completion_tokens,
        cast(cost_usd as double) as cost_usd,

        ---------- text
        cast(message as varchar) as message,

        ---------- timestamps
        cast(recorded_at as timestamptz) as recorded_at,

        ---------- lineage
        cast(source_file as varchar) as source_file,
        {{ staging_loaded_at() }} as loaded_at

    from source

)

select * from renamed
