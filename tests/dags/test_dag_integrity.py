"""Every DAG imports, has no cycle, and carries the arguments ops rely on."""

from __future__ import annotations

from pathlib import Path

from culturewatch.airflow_runs import (
    ALERTS_DAG,
    PROBE_DAG,
    TRANSFORM_DAG,
    WATCH_DAG,
)
from culturewatch.settings import PROJECT_ROOT


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}


def test_expected_dags(dagbag) -> None:
    assert {PROBE_DAG, TRANSFORM_DAG, WATCH_DAG, ALERTS_DAG} <= set(dagbag.dag_ids)


def test_required_arguments(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        assert dag.default_args.get("retries", 0) >= 2, f"{dag_id}: retries < 2"
        assert dag.default_args.get("owner"), f"{dag_id}: no owner"
        assert not dag.catchup, f"{dag_id}: catchup on"


def test_probe_maps_over_specs_and_emits_the_raw_asset(dagbag) -> None:
    dag = dagbag.get_dag(PROBE_DAG)
    ask = dag.get_task("ask")
    assert ask.is_mapped
    outlets = [asset.name for asset in dag.get_task("publish").outlets]
    assert outlets == ["culturewatch_raw_responses"]


def test_probe_lanes_put_self_hosted_endpoints_on_the_gpu_queue_in_their_own_pool(dagbag) -> None:
    """The fleet config (the embedded one here) gives the local server its lane: queue `gpu`,
    one pool per endpoint; the plain `ask` lane takes endpoints the fleet config does not list."""
    dag = dagbag.get_dag(PROBE_DAG)
    lane = dag.get_task("ask_culturewatch_127_0_0_1_8091")
    assert lane.is_mapped
    assert (lane.queue, lane.pool, lane.pool_slots) == ("gpu", "culturewatch_127_0_0_1_8091", 1)
    assert dag.get_task("ask").pool == "default_pool"
    assert set(dag.params.keys()) >= {"config", "model", "version"}


def test_watch_maps_one_deferrable_trigger_per_new_version(dagbag) -> None:
    dag = dagbag.get_dag(WATCH_DAG)
    trigger = dag.get_task("probe_version")
    assert trigger.is_mapped
    assert trigger.partial_kwargs["trigger_dag_id"] == PROBE_DAG
    assert trigger.partial_kwargs["deferrable"] is True
    assert dag.max_active_runs == 1 and type(dag.timetable).__name__ == "CronTriggerTimetable"  # @hourly


def test_alerts_are_scheduled_on_the_marts_asset_and_mapped_per_alert(dagbag) -> None:
    from airflow.sdk import AssetAll

    from culturewatch.assets import MARTS

    dag = dagbag.get_dag(ALERTS_DAG)
    condition = dag.timetable.asset_condition
    assets = condition.objects if isinstance(condition, AssetAll) else [condition]
    assert [asset.name for asset in assets] == [MARTS.name]
    assert dag.get_task("send").is_mapped
    assert dag.max_active_runs == 1


def test_transform_is_scheduled_on_the_raw_asset_and_renders_dbt_tasks(dagbag) -> None:
    dag = dagbag.get_dag(TRANSFORM_DAG)
    from airflow.sdk import AssetAll

    from culturewatch.assets import RAW_RESPONSES

    condition = dag.timetable.asset_condition
    assets = condition.objects if isinstance(condition, AssetAll) else [condition]
    assert [asset.name for asset in assets] == [RAW_RESPONSES.name]
    task_ids = set(dag.task_ids)
    assert any(task_id.startswith("dbt.vsm_country_scores") for task_id in task_ids), task_ids
    assert any(task_id.startswith("dbt.deviation_ratio") for task_id in task_ids), task_ids
    # DuckDB has one writer per file: a Celery worker must never run two dbt nodes at once
    assert dag.max_active_tasks == 1 and dag.max_active_runs == 1


def test_dag_files_read_no_variables_or_connections_at_parse_time() -> None:
    for path in Path(PROJECT_ROOT / "dags").glob("*.py"):
        text = path.read_text()
        assert "Variable.get" not in text and "BaseHook.get_connection" not in text, path
