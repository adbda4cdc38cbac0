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
from airflow.sdk import Param, get_current_context

from culturewatch.orchestration.airflow_runs import PROBE_DAG
from culturewatch.orchestration.dag_args import config_param

SCHEDULE_ENV = "CULTUREWATCH_WATCH_SCHEDULE"
LITERAL_FIELDS = ("conf", "trigger_run_id")


def schedule() -> str | None:
    """$CULTUREWATCH_WATCH_SCHEDULE (cron or preset), default `@hourly`; `none`: manual only."""
    chosen = os.environ.get(SCHEDULE_ENV, "@hourly")
    return None if chosen.lower() == "none" else chosen


def params() -> dict[str, Param]:
    return {
        "config": config_param(),
        "wait_for_probes": Param(
            True, type="boolean", description="wait (deferred) for each triggered probe run to finish"
        ),
    }


class LiteralTriggerDagRunOperator(TriggerDagRunOperator):
    """TriggerDagRunOperator whose `conf` and `trigger_run_id` are data, never Jinja templates:
    they carry model names and versions reported by endpoints, and a name holding `{{` must be
    passed on as written (not rendered, and no template error). The other fields stay templated."""

    template_fields = tuple(
        name for name in TriggerDagRunOperator.template_fields if name not in LITERAL_FIELDS
    )


def discover(params: dict | None = None) -> list[dict]:
    # one trigger (mapped kwargs) per version to probe whose probe run is not queued or running;
    # a finished (failed) one is reset
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


def check_endpoints() -> None:
    errors = get_current_context()["ti"].xcom_pull(task_ids="discover", key="errors")
    if errors:
        raise RuntimeError("could not read:\n" + "\n".join(errors))
