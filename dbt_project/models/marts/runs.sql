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
    A run whose raw files were all set aside by the raw manifest has a row too (quarantined, the
    reason naming each file), with nothing counted.
    A task killed without writing `failed` stays `running` until it is retried.
    Tokens and cost are summed over `completed` events (each covers its own attempt; the
    probe records 0 tokens on `failed` events, so a failed attempt's tokens are not counted).

    Incremental by run (macro runs_to_process): a run is recomputed when any of its raw files
    (responses, lifecycle events, data-quality verdicts) lands, counted in int_run_fingerprints;
    only those runs' rows are read (staging tables filtered on run_id) and replaced.
-#}
{{ incremental_by_run_config("all_run_fingerprints()") }}
{%- set runs = runs_to_process(all_run_fingerprints()) -%}

with

events as (select * from {{ ref('stg_raw__run_events') }} where {{ run_id_filter(runs) }}),
responses as (select * from {{ ref('stg_raw__responses') }} where {{ run_id_filter(runs) }}),
quality as (select * from {{ ref('int_run_quality_status') }} where {{ run_id_filter(runs) }}),
fingerprints as ({{ all_run_fingerprints() }}),

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
        count(*) filter (where event = 'completed' and cost_usd is null) as n_unpriced_events,
        -- the latest Airflow DAG run that worked on the run (the link the readers show)
        arg_max(airflow_dag_run_id, recorded_at) filter (where airflow_dag_run_id is not null)
            as airflow_dag_run_id
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
        {%- for status in ['ok', 'unparseable', 'refusal', 'error'] %}
        count(*) filter (where parse_status = '{{ status }}') as n_parse_{{ status }}{{ ',' if not loop.last }}
        {%- endfor %}
    from responses
    group by run_id

),

-- every run with raw files: also one whose files were all set aside (it shows as quarantined)
all_runs as (

    select run_id from fingerprints where {{ run_id_filter(runs) }}
    union
    select run_id from event_totals
    union
    select run_id from on_disk

),

joined as (

    select
        all_runs.run_id,
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
        event_totals.airflow_dag_run_id,
        case
            when slices.n_slices_running = 0 then slices.last_slice_event_at
        end as finished_at,
        {{ counts_or_zero('slices', [
            'n_slices', 'n_slices_running', 'n_slices_complete', 'n_slices_failed',
        ]) }},
        slices.cells_planned,
        slices.cells_answered,
        {{ counts_or_zero('on_disk', [
            'rows_on_disk', 'n_parse_ok', 'n_parse_unparseable', 'n_parse_refusal', 'n_parse_error',
        ]) }},
        {{ counts_or_zero('event_totals', ['n_events', 'requests_sent', 'prompt_tokens', 'completion_tokens']) }},
        -- a partial sum would understate the cost: null unless every completed attempt is priced
        case
            when event_totals.n_completed_events > 0 and event_totals.n_unpriced_events = 0
                then event_totals.cost_usd
        end as cost_usd,
        coalesce(on_disk.n_parse_ok, 0)::double / nullif(coalesce(on_disk.rows_on_disk, 0), 0) as parse_rate,
        coalesce(slices.n_slices, 0) > 0
            and coalesce(slices.n_slices_complete, 0) = coalesce(slices.n_slices, 0) as is_every_slice_complete
    from all_runs
    left join event_totals on all_runs.run_id = event_totals.run_id
    left join on_disk on all_runs.run_id = on_disk.run_id
    left join slices on all_runs.run_id = slices.run_id
    left join status_overrides on all_runs.run_id = status_overrides.run_id
    left join quality on all_runs.run_id = quality.run_id
    left join fingerprints on all_runs.run_id = fingerprints.run_id

),

final as (

    select
        {{ contract_casts() }}
    from joined

)

select * from final
