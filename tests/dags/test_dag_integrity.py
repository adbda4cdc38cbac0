"""Every DAG imports, has no cycle, and carries the arguments ops rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from culturewatch.orchestration.airflow_runs import (
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


def test_probe_tasks_have_an_execution_timeout_from_the_fleet_plan(dagbag) -> None:
    from culturewatch.orchestration.lanes import load_fleet, probe_task_timeout

    dag = dagbag.get_dag(PROBE_DAG)
    expected = probe_task_timeout(load_fleet())
    for task_id in ("ask", "ask_culturewatch_127_0_0_1_8091"):
        assert dag.get_task(task_id).execution_timeout == expected


def test_watch_maps_one_deferrable_trigger_per_new_version(dagbag) -> None:
    dag = dagbag.get_dag(WATCH_DAG)
    trigger = dag.get_task("probe_version")
    assert trigger.is_mapped
    assert trigger.partial_kwargs["trigger_dag_id"] == PROBE_DAG
    assert trigger.partial_kwargs["deferrable"] is True
    assert dag.max_active_runs == 1
    # parsed in a local Airflow home (airflow_env): manual, so `culturewatch ui` after the demo does
    # not start polling; production (no $CULTUREWATCH_WATCH_SCHEDULE) polls hourly
    assert type(dag.timetable).__name__ == "NullTimetable"


def test_watch_schedule_is_hourly_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from culturewatch.orchestration.watch_tasks import SCHEDULE_ENV, schedule

    monkeypatch.delenv(SCHEDULE_ENV, raising=False)
    assert schedule() == "@hourly"
    monkeypatch.setenv(SCHEDULE_ENV, "*/5 * * * *")
    assert schedule() == "*/5 * * * *"
    monkeypatch.setenv(SCHEDULE_ENV, "None")
    assert schedule() is None


def test_alerts_are_scheduled_on_the_marts_asset_and_mapped_per_alert(dagbag) -> None:
    from airflow.sdk import AssetAll

    from culturewatch.orchestration.assets import MARTS

    dag = dagbag.get_dag(ALERTS_DAG)
    condition = dag.timetable.asset_condition
    assets = condition.objects if isinstance(condition, AssetAll) else [condition]
    assert [asset.name for asset in assets] == [MARTS.name]
    assert dag.get_task("send").is_mapped
    assert dag.max_active_runs == 1


def test_transform_is_scheduled_on_the_raw_asset_and_renders_dbt_tasks(dagbag) -> None:
    dag = dagbag.get_dag(TRANSFORM_DAG)
    from airflow.sdk import AssetAll

    from culturewatch.orchestration.assets import RAW_RESPONSES

    condition = dag.timetable.asset_condition
    assets = condition.objects if isinstance(condition, AssetAll) else [condition]
    assert [asset.name for asset in assets] == [RAW_RESPONSES.name]
    task_ids = set(dag.task_ids)
    assert any(task_id.startswith("dbt.vsm_country_scores") for task_id in task_ids), task_ids
    assert any(task_id.startswith("dbt.deviation_ratio") for task_id in task_ids), task_ids
    assert dag.max_active_runs == 1


def test_transform_is_one_dbt_build_inside_a_write_audit_publish_build(dagbag) -> None:
    from cosmos.operators._watcher.base import BaseConsumerSensor
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    from culturewatch.orchestration import cosmos_setup

    dag = dagbag.get_dag(TRANSFORM_DAG)
    [producer] = [task for task in dag.tasks if isinstance(task, DbtProducerWatcherOperator)]
    assert producer.task_id == f"dbt.{cosmos_setup.PRODUCER_TASK}"
    # the one `dbt build` runs inside a write-audit-publish build, and builds the whole project
    assert isinstance(producer, cosmos_setup.WarehouseProducer)
    assert producer.retries == 0  # a new try is a new build
    sensors = [task for task in dag.tasks if isinstance(task, BaseConsumerSensor)]
    marts = {path.stem for path in (PROJECT_ROOT / "dbt_project" / "models" / "marts").glob("*.sql")}
    watched = {sensor.model_unique_id.rsplit(".", 1)[-1] for sensor in sensors}
    assert watched == marts  # a sensor per mart: per-mart visibility
    assert producer.watched_nodes >= {sensor.model_unique_id for sensor in sensors}
    for sensor in sensors:
        # each reads its node's result once the build is over: nothing polls, nothing re-runs dbt
        assert producer.task_id in sensor.upstream_task_ids, sensor.task_id
        assert (sensor.retries, sensor.deferrable) == (0, False), sensor.task_id


def test_dag_files_read_no_variables_or_connections_at_parse_time() -> None:
    """Neither the DAG files nor the Airflow adapter they call while parsed."""
    adapter = PROJECT_ROOT / "include" / "culturewatch" / "orchestration"
    paths = [*Path(PROJECT_ROOT / "dags").glob("*.py"), *adapter.glob("*.py")]
    assert any(path.is_relative_to(adapter) for path in paths)
    for path in paths:
        text = path.read_text()
        assert "Variable.get" not in text and "BaseHook.get_connection" not in text, path
