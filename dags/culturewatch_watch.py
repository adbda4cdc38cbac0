"""Watch for new model versions and probe each one once.

`discover` polls every configured endpoint's `/v1/models` and the MLflow model registry,
appends every sighting to `raw/versions/`, and lists the versions with no complete run yet.
`probe_version` then triggers one probe DAG run per new version (dynamic task mapping: five
new versions, five mapped triggers, each named model@version). The probe run's id is
`probe__<data run id>`, derived from model, version, grid and instrument, so a version is
never probed twice: a run already queued or running is left alone, a failed one is cleared
and resumed (it asks only the cells still missing), and a complete one is never triggered.
The trigger's `conf` and run id are passed literally, never rendered as Jinja templates (a
model name or version may contain `{{`).
With `wait_for_probes` (default) each trigger waits for its probe run deferred, in the
triggerer, holding no worker slot. `check_endpoints` fails the watch run when an endpoint or
the registry could not be read (the others' versions are still probed).

Schedule: $CULTUREWATCH_WATCH_SCHEDULE (cron or preset, default `@hourly`; `none` for
manual only). Params: `config` (default $CULTUREWATCH_CONFIG, else the embedded config),
`wait_for_probes`.
"""

from __future__ import annotations

import os

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, dag, get_current_context, task
from pendulum import datetime

from culturewatch.airflow_runs import PROBE_DAG
from culturewatch.scheduling import fleet_config_path

SCHEDULE = os.environ.get("CULTUREWATCH_WATCH_SCHEDULE", "@hourly")
LITERAL_FIELDS = ("conf", "trigger_run_id")


class LiteralTriggerDagRunOperator(TriggerDagRunOperator):
    """TriggerDagRunOperator whose `conf` and `trigger_run_id` are data, never Jinja templates:
    they carry model names and versions reported by endpoints, and a name holding `{{` must be
    passed on as written (not rendered, and no template error). The other fields stay templated."""

    template_fields = tuple(
        name for name in TriggerDagRunOperator.template_fields if name not in LITERAL_FIELDS
    )


@dag(
    schedule=None if SCHEDULE.lower() == "none" else SCHEDULE,
    start_date=datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "culturewatch", "retries": 2},
    params={
        "config": Param(str(fleet_config_path()), type="string", description="run configuration YAML"),
        "wait_for_probes": Param(
            True, type="boolean", description="wait (deferred) for each triggered probe run to finish"
        ),
    },
    tags=["culturewatch", "watch"],
    doc_md=__doc__,
)
def culturewatch_watch():
    @task
    def discover(params: dict | None = None) -> list[dict]:
        import json

        from culturewatch.discovery.watch import watch_once
        from culturewatch.settings import data_paths

        context = get_current_context()
        result = watch_once(params["config"], data_paths(), watch_id=context["run_id"])
        print(json.dumps(result.summary(), indent=2))
        ti = context["ti"]
        triggers = []
        for target in result.to_probe:
            run_ids = [target.dag_run_id]
            if ti.get_dr_count(dag_id=PROBE_DAG, run_ids=run_ids, states=["queued", "running"]):
                print(f"{target.label}: probe run {target.dag_run_id} already in progress")
                continue
            triggers.append(
                {
                    "trigger_run_id": target.dag_run_id,
                    "conf": target.conf(params["config"]),
                    # a finished run of this version that left it unprobed (failed) is resumed
                    "reset_dag_run": bool(ti.get_dr_count(dag_id=PROBE_DAG, run_ids=run_ids)),
                    "wait_for_completion": bool(params["wait_for_probes"]),
                }
            )
        ti.xcom_push(key="errors", value=result.errors)
        return triggers

    @task(retries=0)
    def check_endpoints() -> None:
        errors = get_current_context()["ti"].xcom_pull(task_ids="discover", key="errors")
        if errors:
            raise RuntimeError("could not read:\n" + "\n".join(errors))

    found = discover()
    LiteralTriggerDagRunOperator.partial(
        task_id="probe_version",
        trigger_dag_id=PROBE_DAG,
        deferrable=True,
        poke_interval=60,
        map_index_template="{{ task.conf['model'] }}@{{ task.conf['version'] }}",
    ).expand_kwargs(found)
    found >> check_endpoints()


culturewatch_watch()
