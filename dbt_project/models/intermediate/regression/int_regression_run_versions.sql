{#-
    One row per probe run with what makes two runs comparable (docs/metrics.md "Regressions"): the
    instrument, parser and (wvs_polarity) judge versions found in its raw rows, when it ran and
    the latest status of the runs mart. A run whose rows carry more than one instrument, parser
    or judge version (e.g. resumed after an upgrade) is flagged `has_mixed_versions` and is never
    compared. Times fall back to the raw request times when the run has no lifecycle events.
-#}
with

responses as (select * from {{ ref('int_responses_published') }}),
judgements as (select * from {{ ref('stg_raw__judgements') }}),
runs as (select * from {{ ref('runs') }}),

on_disk as (

    select
        run_id,
        any_value(model) as model,
        any_value(model_version) as model_version,
        any_value(instrument) as instrument,
        string_agg(distinct instrument_version, ', ' order by instrument_version) as instrument_version,
        count(distinct instrument_version) as n_instrument_versions,
        string_agg(distinct parser_version, ', ' order by parser_version) as parser_version,
        count(distinct parser_version) as n_parser_versions,
        min(requested_at) as first_requested_at,
        max(requested_at) as last_requested_at
    from responses
    group by run_id

),

judges as (

    select
        run_id,
        string_agg(distinct judge_identity, ', ' order by judge_identity) as judge_version,
        count(distinct judge_identity) as n_judge_versions
    from (
        select
            run_id,
            concat_ws(
                ' ',
                coalesce(judge_model, '?'),
                coalesce(judge_version, '?'),
                'prompt ' || coalesce(judge_prompt_version, '?')
            ) as judge_identity
        from judgements
    )
    group by run_id

),

joined as (

    select
        on_disk.run_id,
        on_disk.model,
        on_disk.model_version,
        on_disk.instrument,
        on_disk.instrument_version,
        on_disk.parser_version,
        judges.judge_version,
        on_disk.n_instrument_versions > 1
            or on_disk.n_parser_versions > 1
            or coalesce(judges.n_judge_versions, 0) > 1 as has_mixed_versions,
        runs.status as run_status,
        coalesce(runs.started_at, on_disk.first_requested_at) as run_started_at,
        coalesce(runs.finished_at, on_disk.last_requested_at) as run_finished_at
    from on_disk
    left join runs on on_disk.run_id = runs.run_id
    left join judges on on_disk.run_id = judges.run_id

),

final as (

    select
        *,
        min(run_started_at) over (partition by model, model_version) as version_first_probed_at,
        -- a run still running, failed or quarantined never feeds a regression
        coalesce(run_status not in ('quarantined', 'running', 'failed'), true) as is_regression_eligible
    from joined

)

select * from final
