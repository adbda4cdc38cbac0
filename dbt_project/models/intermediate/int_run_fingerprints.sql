{{ config(materialized='table') }}
{#-
    One row per run that has responses or lifecycle events: how many raw files of each kind
    the staging tables hold for it, and whether a data-quality verdict quarantined it. The
    run-keyed incremental models compare these counts with the ones they stored
    (`run_source_files`, macro runs_to_process): raw files are append-only, so a count changes
    exactly when a file of the run lands. A small table, rebuilt every build (one pass over the
    staging tables' run_id and source_file columns), so the incremental models and their
    post-hooks read it instead of the staging tables.
-#}
with

responses as (

    select
        run_id,
        count(distinct source_file) as n_response_files,
        bool_or(instrument = 'vsm2013') as has_vsm2013
    from {{ ref('stg_raw__responses') }}
    group by run_id

),

events as (

    select run_id, count(distinct source_file) as n_event_files
    from {{ ref('stg_raw__run_events') }}
    group by run_id

),

verdicts as (

    select run_id, count(distinct source_file) as n_status_files
    from {{ ref('stg_raw__run_status') }}
    group by run_id

),

quality as (

    select * from {{ ref('int_run_quality_status') }}

),

runs as (

    select run_id from responses
    union
    select run_id from events

),

final as (

    select
        runs.run_id,
        coalesce(responses.n_response_files, 0) as n_response_files,
        coalesce(events.n_event_files, 0) as n_event_files,
        coalesce(verdicts.n_status_files, 0) as n_status_files,
        coalesce(responses.has_vsm2013, false) as has_vsm2013,
        coalesce(quality.is_quarantined, false) as is_quarantined
    from runs
    left join responses on runs.run_id = responses.run_id
    left join events on runs.run_id = events.run_id
    left join verdicts on runs.run_id = verdicts.run_id
    left join quality on runs.run_id = quality.run_id

)

select * from final
