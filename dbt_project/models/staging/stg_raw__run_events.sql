with

source as (

    select * from {{ source('raw', 'run_events') }}

),

renamed as (

    select
        ---------- ids
        cast(run_id as varchar) as run_id,
        cast(event as varchar) as event,

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

        ---------- text
        cast(message as varchar) as message,

        ---------- timestamps
        cast(recorded_at as timestamptz) as recorded_at,

        ---------- lineage
        cast(source_file as varchar) as source_file

    from source

)

select * from renamed
