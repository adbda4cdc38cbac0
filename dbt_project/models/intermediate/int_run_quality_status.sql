{#-
    The data-quality status of each run that has a verdict: its latest verdict (docs/raw-data.md
    "Run status"). On a tie in recorded_at, `quarantined` wins (the cautious reading), then the
    later file. A run without any verdict has no row here and counts as published.
-#}
with

verdicts as (

    select * from {{ ref('stg_raw__run_status') }}

),

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

final as (

    select
        latest.run_id,
        latest.status as quality_status,
        latest.stage as quality_stage,
        latest.reason as quality_reason,
        latest.failed_expectations,
        latest.data_docs_url,
        latest.recorded_at as quality_recorded_at,
        case when latest.status in ('validated', 'released') then latest.recorded_at end as validated_at,
        latest.status = 'quarantined' as is_quarantined,
        counted.n_verdicts
    from latest
    inner join counted on latest.run_id = counted.run_id

)

select * from final
