{#-
    The version pairs alignment_regressions compares, per model x instrument. Each version is
    represented by its latest regression-eligible run of the instrument (not running, failed or
    quarantined; latest by run_started_at, then run_id); versions are ordered by their first
    probe time (version_first_probed_at, then model_version).

    For every version V with an earlier version:
      - the pair (previous comparable version, V): the latest earlier version whose run has the
        same instrument_version, parser_version, judge_version, ground-truth version and
        normalisation, neither run mixing versions -> is_comparable = true;
      - when the immediately preceding version P is NOT comparable, also the pair (P, V) with
        is_comparable = false and the differences in not_comparable_reason (never compared,
        never alerted: docs/metrics.md "Regressions": never compared silently).
    Comparability keys come from the runs' alignment_history rows (ground truth and
    normalisation are per mart row; a run's distinct values are joined with ', ').
-#}
{#- what two runs must share to be compared: column -> how a difference is named -#}
{%- set comparability_keys = {
    'instrument_version': 'instrument_version',
    'parser_version': 'parser_version',
    'judge_version': 'judge',
    'ground_truth_version': 'ground truth',
    'normalisation': 'normalisation',
} -%}
with

history as (select * from {{ ref('alignment_history') }} where is_regression_eligible),

runs as (

    select
        model,
        model_version,
        instrument,
        run_id,
        any_value(version_first_probed_at) as version_first_probed_at,
        any_value(run_started_at) as run_started_at,
        any_value(run_finished_at) as run_finished_at,
        any_value(instrument_version) as instrument_version,
        any_value(parser_version) as parser_version,
        any_value(judge_version) as judge_version,
        string_agg(distinct ground_truth_version, ', ' order by ground_truth_version) as ground_truth_version,
        string_agg(distinct normalisation, ', ' order by normalisation) as normalisation,
        bool_or(has_mixed_versions) as has_mixed_versions
    from history
    group by model, model_version, instrument, run_id

),

versions as (

    select
        *,
        row_number() over (
            partition by model, instrument order by version_first_probed_at, model_version
        ) as version_order
    from runs
    qualify row_number() over (
        partition by model, model_version, instrument order by run_started_at desc, run_id desc
    ) = 1

),

candidates as (

    select
        current_version.model,
        current_version.instrument,
        previous_version.model_version as previous_version,
        current_version.model_version as version,
        previous_version.run_id as previous_run_id,
        current_version.run_id,
        previous_version.version_order as previous_order,
        current_version.version_order,
        current_version.run_finished_at as detected_at,
        concat_ws(
            '; ',
            {%- for key, label in comparability_keys.items() %}
            case when previous_version.{{ key }} is distinct from current_version.{{ key }}
                then '{{ label }} ' || coalesce(previous_version.{{ key }}, 'null')
                    || ' -> ' || coalesce(current_version.{{ key }}, 'null') end,
            {%- endfor %}
            case when previous_version.has_mixed_versions
                then 'run ' || previous_version.run_id || ' mixes instrument/parser/judge versions' end,
            case when current_version.has_mixed_versions
                then 'run ' || current_version.run_id || ' mixes instrument/parser/judge versions' end
        ) as differences
    from versions as current_version
    inner join versions as previous_version
        on {{ equi_join('current_version', 'previous_version', ['model', 'instrument']) }}
        and previous_version.version_order < current_version.version_order

),

comparable as (

    select *, true as is_comparable, cast(null as varchar) as not_comparable_reason
    from candidates
    where differences = ''
    qualify row_number() over (partition by model, instrument, version order by previous_order desc) = 1

),

not_comparable as (

    select *, false as is_comparable, differences as not_comparable_reason
    from candidates
    where differences <> ''
        and previous_order = version_order - 1

),

final as (

    select
        md5(concat_ws('|', model, instrument, previous_version, version)) as pair_id,
        model,
        instrument,
        previous_version,
        version,
        previous_run_id,
        run_id,
        is_comparable,
        not_comparable_reason,
        detected_at
    from (
        select * from comparable
        union all by name
        select * from not_comparable
    )

)

select * from final
