{#-
    The data-quality status of each run that has a verdict or a problem (docs/raw-data.md "Run
    status"):

    - its raw files: a file the raw manifest set aside (a stray copy, rows of another run, a
      truncated, empty or off-contract file) quarantines its run, stage `files`, the reason naming
      each file and what is wrong;
    - its raw rows: a problem int_run_integrity found (duplicated keys, unknown values)
      quarantines it, stage `rows`;
    - else its latest verdict (the raw gate after the probe, the marts audit of a build, ops): on
      a tie in recorded_at, `quarantined` wins (the cautious reading), then the later file.

    A run with none of these has no row here and counts as published.
-#}
with

verdicts as (select * from {{ ref('stg_raw__run_status') }}),

latest as (

    select *
    from verdicts
    qualify row_number() over (
        partition by run_id
        order by recorded_at desc, (status = 'quarantined') desc, source_file desc
    ) = 1

),

counted as (

    select
        run_id,
        count(*) as n_verdicts
    from verdicts
    group by run_id

),

set_aside_files as (

    select
        run_id,
        'raw files set aside: ' || string_agg(file_key || ': ' || problem, '; ' order by file_key) as reason
    from {{ source('raw_manifest', 'files') }}
    where status = 'set_aside' and run_id is not null
    group by run_id

),

row_problems as (

    select run_id, problem as reason
    from {{ ref('int_run_integrity') }}
    where problem is not null

),

runs as (

    select run_id from latest
    union
    select run_id from set_aside_files
    union
    select run_id from row_problems

),

final as (

    select
        runs.run_id,
        case
            when set_aside_files.run_id is not null or row_problems.run_id is not null then 'quarantined'
            else latest.status
        end as quality_status,
        case
            when set_aside_files.run_id is not null then 'files'
            when row_problems.run_id is not null then 'rows'
            else latest.stage
        end as quality_stage,
        coalesce(set_aside_files.reason, row_problems.reason, latest.reason) as quality_reason,
        case
            when set_aside_files.run_id is null and row_problems.run_id is null then latest.failed_expectations
        end as failed_expectations,
        latest.data_docs_url,
        case
            when set_aside_files.run_id is null and row_problems.run_id is null then latest.recorded_at
        end as quality_recorded_at,
        case
            when set_aside_files.run_id is null and row_problems.run_id is null
                 and latest.status in ('validated', 'released') then latest.recorded_at
        end as validated_at,
        (set_aside_files.run_id is not null or row_problems.run_id is not null
         or coalesce(latest.status = 'quarantined', false)) as is_quarantined,
        coalesce(counted.n_verdicts, 0) as n_verdicts
    from runs
    left join latest on runs.run_id = latest.run_id
    left join counted on runs.run_id = counted.run_id
    left join set_aside_files on runs.run_id = set_aside_files.run_id
    left join row_problems on runs.run_id = row_problems.run_id

)

select * from final
