"""The data-quality gates sit where issue 6 puts them: after the probe (before the raw asset is
emitted) and after dbt (before the marts asset the alerts follow), each failing with a notifier."""

from __future__ import annotations

from culturewatch.orchestration.airflow_runs import PROBE_DAG, TRANSFORM_DAG


def _gate_notifies(task) -> None:
    from culturewatch.orchestration.quality_notifier import DataQualityFailedNotifier

    callbacks = task.on_failure_callback
    callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
    assert any(isinstance(callback, DataQualityFailedNotifier) for callback in callbacks)
    assert task.retries == 0  # a verdict does not change on retry; the fix path is `culturewatch validate`


def test_raw_gate_runs_after_the_probe_and_before_publishing(dagbag) -> None:
    dag = dagbag.get_dag(PROBE_DAG)
    validate = dag.get_task("validate_raw")
    assert "publish" in validate.downstream_task_ids
    assert "raw_quality_gate" in validate.downstream_task_ids
    assert {"ask"} <= validate.upstream_task_ids
    _gate_notifies(dag.get_task("raw_quality_gate"))


def test_marts_gate_follows_the_audited_build_and_the_marts_asset_follows_publishing(dagbag) -> None:
    # the marts audit runs inside the build (before publishing); the gate reports its verdicts
    dag = dagbag.get_dag(TRANSFORM_DAG)
    gate, summarize = dag.get_task("marts_quality_gate"), dag.get_task("summarize")
    for task in (gate, summarize):  # after the build that published, beside the marts' sensors
        assert task.upstream_task_ids == {"dbt.dbt_producer_watcher"}
    assert [asset.name for asset in summarize.outlets] == ["culturewatch_marts"]
    _gate_notifies(gate)
