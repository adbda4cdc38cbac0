{#-
    One row per probe run: identity, timing, status, grid planned vs answered, what is on
    disk, data-quality status, tokens and cost.

    A run is split into slices, one per prompt language (each mapped probe task writes
    `started`, then `completed` or `failed`, per attempt). Planned/answered cells are summed
    over the slices' LATEST events (a retry's events supersede the failed attempt's).
    Status, in this order:
      quarantined  the run's latest data-quality verdict is `quarantined` (int_run_quality_status)
      running      some slice's latest event is `started`
      failed       otherwise, some slice's latest event is `failed`
      complete     every slice's latest event is `completed`
      null         the run has responses on disk but no lifecycle event
    A task killed without writing `failed` stays `running` until it is retried.
    Tokens and cost are summed over `completed` events (each covers its own attempt; the
    probe records 0 tokens on `failed` events, so a failed attempt's tokens are not counted).

    Incremental by run (macro runs_to_process): a run is recomputed when any of its raw files
    (responses, lifecycle events, data-quality verdicts) lands, counted in int_run_fingerprints;
    only those runs' rows are read (staging tables filtered on run_id) and replaced.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='run_id',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_runs_missing_upstream(all_run_fingerprints()) }}",
    )
}}
{%- set runs = runs_to_process(all_run_fingerprints()) -%}

with

events as (

    select * from {{ ref('stg_raw__run_events') }}
    where {{ run_id_filter(runs) }}

),

responses as (

    select * from {{ ref('stg_raw__responses') }}
    where {{ run_id_filter(runs) }}

),

quality as (

    select * from {{ ref('int_run_quality_status') }}
    where {{ run_id_filter(runs) }}

),

fingerprints as (

    {{ all_run_fingerprints() }}

),

-- a run whose latest data-quality verdict is `quarantined` (docs/raw-data.md "Run status")
status_overrides as (

    select
        run_id,
        'quarantined' as status,
        coalesce(quality_reason, 'quarantined at the ' || quality_stage || ' stage') as status_reason
    from quality
    where is_quarantined

),

-- the latest event of each slice; on a tie the terminal event wins
latest_slice_events as (

    select *
    from events
    qualify row_number() over (
        partition by run_id, prompt_language
        order by recorded_at desc, (event = 'started') asc, source_file desc
    ) = 1

),

slices as (

    select
        run_id,
        count(*) as n_slices,
        count(*) filter (where event = 'started') as n_slices_running,
        count(*) filter (where event = 'completed') as n_slices_complete,
        count(*) filter (where event = 'failed') as n_slices_failed,
        sum(cells_planned) as cells_planned,
        sum(cells_answered) as cells_answered,
        max(recorded_at) as last_slice_event_at
    from latest_slice_events
    group by run_id

),

event_totals as (

    select
        run_id,
        any_value(instrument) as instrument,
        any_value(model) as model,
        any_value(model_version) as model_version,
        min(recorded_at) as first_event_at,
        count(*) as n_events,
        count(*) filter (where event = 'completed') as n_completed_events,
        sum(requests_sent) filter (where event = 'completed') as requests_sent,
        sum(prompt_tokens) filter (where event = 'completed') as prompt_tokens,
        sum(completion_tokens) filter (where event = 'completed') as completion_tokens,
        sum(cost_usd) filter (where event = 'completed') as cost_usd,
        count(*) filter (where event = 'completed' and cost_usd is null) as n_unpriced_events
    from events
    group by run_id

),

on_disk as (

    select
        run_id,
        any_value(instrument) as instrument,
        any_value(model) as model,
        any_value(model_version) as model_version,
        count(*) as rows_on_disk,
        count(*) filter (where parse_status = 'ok') as n_parse_ok,
        count(*) filter (where parse_status = 'unparseable') as n_parse_unparseable,
        count(*) filter (where parse_status = 'refusal') as n_parse_refusal,
        count(*) filter (where parse_status = 'error') as n_parse_error
    from responses
    group by run_id

),

joined as (

    select
        coalesce(event_totals.run_id, on_disk.run_id) as run_id,
        coalesce(event_totals.instrument, on_disk.instrument) as instrument,
        coalesce(event_totals.model, on_disk.model) as model,
        coalesce(event_totals.model_version, on_disk.model_version) as model_version,
        case
            when status_overrides.status is not null then status_overrides.status
            when slices.n_slices_running > 0 then 'running'
            when slices.n_slices_failed > 0 then 'failed'
            when slices.n_slices_complete > 0 then 'complete'
        end as status,
        status_overrides.status_reason,
        quality.quality_status,
        quality.quality_stage,
        quality.quality_recorded_at,
        quality.validated_at,
        quality.data_docs_url,
        fingerprints.run_source_files,
        event_totals.first_event_at as started_at,
        case
            when slices.n_slices_running = 0 then slices.last_slice_event_at
        end as finished_at,
        coalesce(slices.n_slices, 0) as n_slices,
        coalesce(slices.n_slices_running, 0) as n_slices_running,
        coalesce(slices.n_slices_complete, 0) as n_slices_complete,
        coalesce(slices.n_slices_failed, 0) as n_slices_failed,
        slices.cells_planned,
        slices.cells_answered,
        coalesce(on_disk.rows_on_disk, 0) as rows_on_disk,
        coalesce(on_disk.n_parse_ok, 0) as n_parse_ok,
        coalesce(on_disk.n_parse_unparseable, 0) as n_parse_unparseable,
        coalesce(on_disk.n_parse_refusal, 0) as n_parse_refusal,
        coalesce(on_disk.n_parse_error, 0) as n_parse_error,
        coalesce(event_totals.n_events, 0) as n_events,
        coalesce(event_totals.requests_sent, 0) as requests_sent,
        coalesce(event_totals.prompt_tokens, 0) as prompt_tokens,
        coalesce(event_totals.completion_tokens, 0) as completion_tokens,
        -- a partial sum would understate the cost: null unless every completed attempt is priced
        case
            when event_totals.n_completed_events > 0 and event_totals.n_unpriced_events = 0
                then event_totals.cost_usd
        end as cost_usd
    from event_totals
    full outer join on_disk on event_totals.run_id = on_disk.run_id
    left join slices on coalesce(event_totals.run_id, on_disk.run_id) = slices.run_id
    left join status_overrides on coalesce(event_totals.run_id, on_disk.run_id) = status_overrides.run_id
    left join quality on coalesce(event_totals.run_id, on_disk.run_id) = quality.run_id
    left join fingerprints on coalesce(event_totals.run_id, on_disk.run_id) = fingerprints.run_id

),

final as (

    select
        cast(run_id as varchar) as run_id,
        cast(instrument as varchar) as instrument,
        cast(model as varchar) as model,
        cast(model_version as varchar) as model_version,
        cast(status as varchar) as status,
        cast(status_reason as varchar) as status_reason,
        cast(started_at as timestamptz) as started_at,
        cast(finished_at as timestamptz) as finished_at,
        cast(n_slices as integer) as n_slices,
        cast(n_slices_running as integer) as n_slices_running,
        cast(n_slices_complete as integer) as n_slices_complete,
        cast(n_slices_failed as integer) as n_slices_failed,
        cast(cells_planned as bigint) as cells_planned,
        cast(cells_answered as bigint) as cells_answered,
        cast(rows_on_disk as bigint) as rows_on_disk,
        cast(n_parse_ok as bigint) as n_parse_ok,
        cast(n_parse_unparseable as bigint) as n_parse_unparseable,
        cast(n_parse_refusal as bigint) as n_parse_refusal,
        cast(n_parse_error as bigint) as n_parse_error,
        cast(n_events as integer) as n_events,
        cast(requests_sent as bigint) as requests_sent,
        cast(prompt_tokens as bigint) as prompt_tokens,
        cast(completion_tokens as bigint) as completion_tokens,
        cast(cost_usd as double) as cost_usd,
        cast(quality_status as varchar) as quality_status,
        cast(quality_stage as varchar) as quality_stage,
        cast(quality_recorded_at as timestamptz) as quality_recorded_at,
        cast(validated_at as timestamptz) as validated_at,
        cast(data_docs_url as varchar) as data_docs_url,
        cast(run_source_files as bigint) as run_source_files
    from joined

)

select * from final
