"""Astronomer Cosmos configuration of the transform: one `dbt build`, a sensor per mart.

ExecutionMode.WATCHER: Cosmos's producer task runs a single `dbt build` (in-process, dbtRunner)
and reports node results over XCom; one sensor per mart shows its result in the UI. The producer
is a WarehouseProducer: it runs that one `dbt build` inside a write–audit–publish build
(culturewatch.transform.warehouse_build) — claim, candidate, raw manifest, dbt, audit, publish —
so the whole transform is one task on one host, and readers never see anything before it has
passed every check.

The sensors run after the producer (an explicit dependency), each reading its node's result
once: nothing polls while dbt runs, `airflow dags test` cannot deadlock on a sensor scheduled
first, and a sensor never re-runs a model by itself (no retries; its fallback would write a
database nobody publishes). Rendering uses the manifest made at setup (LoadMode.DBT_MANIFEST):
parsing the DAG never runs dbt.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos import settings as cosmos_settings
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from cosmos.operators._watcher.base import _DBT_ERROR_EVENTS_TYPES
from cosmos.operators._watcher.state import DBT_UPSTREAM_FAILURE_SKIP_EVENT_NAMES
from cosmos.operators._watcher.triggerer import WatcherTrigger
from cosmos.operators.watcher import DbtProducerWatcherOperator

from culturewatch.settings import DBT_PROJECT_DIR, data_paths
from culturewatch.transform.dbt_manifest import checked_manifest

log = logging.getLogger(__name__)

AUDIT_XCOM_KEY = "audit"
PRODUCER_TASK = "dbt_producer_watcher"
# dbt's one-line result of a node, logged for the nodes no sensor watches
_RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})
# what a watched node's sensor reads: its end (NodeFinished: status, timing, message; Cosmos pushes
# an XCom per status event, and the ones before the end only overwrite each other while dbt waits
# on every push) and errors, dbt's skip reasons (a skip after an upstream failure is a failure),
# and its result line for the log
_NODE_EVENTS_HEARD = (
    (_DBT_ERROR_EVENTS_TYPES | {"NodeFinished"}) | DBT_UPSTREAM_FAILURE_SKIP_EVENT_NAMES | _RESULT_EVENTS
)


def dbt_executable() -> str:
    """The `dbt` of this interpreter's environment (Cosmos needs it on PATH or named)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def project_config() -> ProjectConfig:
    return ProjectConfig(manifest_path=checked_manifest(), project_name="culturewatch")


def profile_config() -> ProfileConfig:
    return ProfileConfig(
        profile_name="culturewatch",
        target_name="dev",
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


def execution_config() -> ExecutionConfig:
    return ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER,
        invocation_mode=InvocationMode.DBT_RUNNER,
        dbt_executable_path=dbt_executable(),
        dbt_project_path=DBT_PROJECT_DIR,
    )


def render_config() -> RenderConfig:
    """A sensor per mart; the producer builds (and tests) the whole project. Test sensors are not
    rendered (TestBehavior.NONE): each Airflow task costs seconds of a worker's CPU, and a failing
    test fails the build itself, named in the producer's log and by the quality gate."""
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.NONE, select=["path:models/marts"]
    )


class WarehouseProducer(DbtProducerWatcherOperator):
    """Cosmos's WATCHER producer inside a write–audit–publish build.

    `execute` claims the build, prepares the candidate (builder state, raw manifest), runs
    Cosmos's one `dbt build` into it, then audits and publishes it, in one task on one host. The
    build covers the whole project and its tests, while sensors are rendered for the marts only: dbt's events
    of the other nodes stay in this task's log and are not copied to XCom (Cosmos would push four
    XComs per node event, ~1,500 for this project, the bulk of its overhead).
    """

    watched_nodes: frozenset[str] = frozenset()

    def execute(self, context, **kwargs):
        from culturewatch.transform.warehouse_build import BUILD_FLAGS, WarehouseBuild

        with WarehouseBuild(data_paths()) as build:
            # Cosmos runs dbt in a fresh copy of the project and keeps dbt's partial parse itself,
            # re-pointed at that copy: a target folder outside it (the CLI build's fixed one) would
            # hand the next run a parse whose seed paths are in the previous, deleted copy
            os.environ.update(build.environment())
            os.environ.pop("DBT_TARGET_PATH", None)
            for line in build.set_aside():
                print(f"raw file set aside (its run is quarantined): {line}")
            # the sensors watch the marts; the build is the whole project, data tests included (Cosmos
            # leaves tests out of the producer when none are rendered)
            self.select = None
            # the producer is never retried (wire_producer: a new try is a new build), so Cosmos's
            # backup of its XComs for a retry (a Variable rewritten on every push) has no reader
            cosmos_settings.enable_watcher_reliable_retry = False
            self.dbt_cmd_flags = _without_resource_types(self.dbt_cmd_flags) + BUILD_FLAGS
            with build.timed("dbt (Cosmos producer)"):
                result = super().execute(context, **kwargs)
            outcome = build.finish()
        print(outcome.summary())
        context["ti"].xcom_push(key=AUDIT_XCOM_KEY, value=outcome.verdicts)
        return result

    # Cosmos's callback turns every dbt event into JSON (protobuf's MessageToJson, ~9,000 events
    # per build, debug ones included) before its parser looks at it, and pushes XComs for every
    # node it hears of. Each callback Cosmos registers is wrapped so that it only hears what a
    # sensor or the log needs: the watched nodes' status and error events, and the non-debug
    # events of no node (versions, summary, errors); the other nodes' one-line results ("12 of 386
    # OK created ...") are logged straight from the event.
    @property
    def _dbt_runner_callbacks(self):
        return self.__dict__.get("_dbt_runner_callbacks")

    @_dbt_runner_callbacks.setter
    def _dbt_runner_callbacks(self, callbacks) -> None:
        self.__dict__["_dbt_runner_callbacks"] = (
            None
            if callbacks is None
            else [_heard_only(callback, self.watched_nodes) for callback in callbacks]
        )


def _heard_only(callback, watched: frozenset[str]):
    if getattr(callback, "heard_only", False):
        return callback

    def heard_only(event) -> None:
        info = event.info
        node = event.data.node_info.unique_id if "node_info" in event.data.DESCRIPTOR.fields_by_name else ""
        if not node:
            if info.level != "debug":
                callback(event)
        elif node in watched:
            if info.name in _NODE_EVENTS_HEARD:
                callback(event)
        elif info.name in _RESULT_EVENTS:
            log.info("%s", info.msg)

    heard_only.heard_only = True
    return heard_only


def _without_resource_types(flags: list[str]) -> list[str]:
    kept, skip = [], False
    for flag in flags:
        if skip:
            skip = False
        elif flag == "--resource-type":
            skip = True
        else:
            kept.append(flag)
    return kept


class MartResultTrigger(WatcherTrigger):
    """Cosmos's watcher trigger for one mart, started straight in the triggerer (the sensor task
    has `start_from_trigger`), which ends the task itself: success, skipped or failed as dbt
    reported the node. So a mart's task costs no worker at all in the Celery stack: the scheduler
    defers it, the triggerer reads one XCom of the producer and closes it. The DAG run's ids come
    from the trigger's own task instance (they are not known when the DAG is parsed)."""

    def __init__(
        self, model_unique_id: str, producer_task_id: str, poke_interval: float = 1.0, **ids
    ) -> None:
        super().__init__(
            model_unique_id=model_unique_id,
            producer_task_id=producer_task_id,
            dag_id=ids.get("dag_id") or "",
            run_id=ids.get("run_id") or "",
            map_index=ids.get("map_index", -1),
            poke_interval=poke_interval,
        )

    def serialize(self):
        return (
            f"{__name__}.MartResultTrigger",
            {
                "model_unique_id": self.model_unique_id,
                "producer_task_id": self.producer_task_id,
                "poke_interval": self.poke_interval,
            },
        )

    async def run(self):
        from airflow.triggers.base import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent

        ti = self.task_instance
        if ti is not None:
            self.dag_id, self.run_id = ti.dag_id, ti.run_id
        async for event in super().run():
            status = (event.payload or {}).get("status")
            if status == "success":
                yield TaskSuccessEvent()
            elif status == "skipped":
                yield TaskSkippedEvent()
            else:
                log.error("dbt reported %s for %s: %s", status, self.model_unique_id, event.payload)
                yield TaskFailedEvent()
            return


def dbt_build_group(group_id: str = "dbt"):
    """The transform's Cosmos task group: the WATCHER producer (a WarehouseProducer, see
    `wire_producer`) and a sensor per mart, rendered from the manifest made at setup."""
    from cosmos import DbtTaskGroup

    group = DbtTaskGroup(
        group_id=group_id,
        project_config=project_config(),
        profile_config=profile_config(),
        execution_config=execution_config(),
        render_config=render_config(),
        operator_args={"install_deps": False},
    )
    wire_producer(group)
    return group


def wire_producer(group) -> None:
    """Turn the group's Cosmos producer into a WarehouseProducer watching the rendered nodes, and
    make every sensor run after it, once, without retries; in a scheduler (not `airflow dags
    test`) each sensor starts in the triggerer and is ended there (MartResultTrigger)."""
    from datetime import timedelta

    from airflow.triggers.base import StartTriggerArgs
    from cosmos.operators._watcher.base import BaseConsumerSensor

    tasks = _tasks(group)
    producer = producer_task(group)
    sensors = [task for task in tasks if isinstance(task, BaseConsumerSensor)]
    producer.__class__ = WarehouseProducer  # Cosmos names its producer class itself; ours extends it
    producer.retries = 0  # a new try is a new build: trigger the DAG again
    producer.watched_nodes = frozenset(
        {sensor.model_unique_id for sensor in sensors}
        | {test for sensor in sensors for test in producer.tests_per_model.get(sensor.model_unique_id, [])}
    )
    for sensor in sensors:
        producer >> sensor
        sensor.deferrable = False
        sensor.poke_interval = 1
        sensor.timeout = 120
        sensor.retries = 0
        sensor.start_from_trigger = True
        sensor.start_trigger_args = StartTriggerArgs(
            trigger_cls=f"{__name__}.MartResultTrigger",
            trigger_kwargs={"model_unique_id": sensor.model_unique_id, "producer_task_id": producer.task_id},
            next_method="execute_complete",
            timeout=timedelta(minutes=10),
        )


def producer_task(group):
    """The group's producer: the task that builds, audits and publishes (the sensors only report
    what it did, so what follows the publication need not wait for them)."""
    return next(task for task in _tasks(group) if task.task_id.endswith(PRODUCER_TASK))


def _tasks(group) -> list:
    """Every task of a task group, nested groups included (a group has `children`, a task not)."""
    found = []
    for child in group.children.values():
        found.extend(_tasks(child) if hasattr(child, "children") else [child])
    return found
