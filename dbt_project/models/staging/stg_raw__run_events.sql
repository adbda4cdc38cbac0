{#-
    `instrument` and `cost_usd` were added to RUN_EVENT_SCHEMA later: union_by_name reads old
    and new files together (old rows get NULL), and the empty typed row below supplies both
    columns when no file has them yet (a data dir written before they existed).
-#}
with

source as (

    select * from {{ source('raw', 'run_events') }}

),

columns_added_later as (

    select
        cast(null as varchar) as instrument,
        cast(null as double) as cost_usd
    where false

),

source_with_added_columns as (

    select * from source
    union all by name
    select * from columns_added_later

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
        cast(source_file as varchar) as source_file

    from source_with_added_columns

)

select * from renamed
