"""The data-quality gates sit where issue 6 puts them: after the probe (before the raw asset is
emitted) and after dbt (before the marts asset the alerts follow), each failing with a notifier."""

from __future__ import annotations

from culturewatch.airflow_runs import PROBE_DAG, TRANSFORM_DAG


def _gate_notifies(task) -> None:
    from culturewatch.quality.airflow_notifier import DataQualityFailedNotifier

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


def test_marts_gate_runs_after_dbt_and_before_the_marts_asset(dagbag) -> None:
    dag = dagbag.get_dag(TRANSFORM_DAG)
    validate = dag.get_task("validate_marts")
    assert any(task_id.startswith("dbt.") for task_id in validate.upstream_task_ids)
    assert validate.downstream_task_ids == {"summarize", "marts_quality_gate"}
    assert [asset.name for asset in dag.get_task("summarize").outlets] == ["culturewatch_marts"]
    _gate_notifies(dag.get_task("marts_quality_gate"))
