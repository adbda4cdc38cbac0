"""Probe every configured model version with the active instrument — or one model version.

One mapped task per (model version × prompt language), named in the UI by model, version
and language. Each task asks only the cells its run does not have on disk yet, so a retry
or a re-run resumes instead of repeating; answers land as append-only Parquet under
`$CULTUREWATCH_DATA_DIR/raw/responses/run_id=…`. The last task emits the raw-responses
Asset that schedules the transform DAG, and returns the run summary (cells answered, parse
rate, tokens, cost). If a probe fails, `explain_failure` names the endpoint and why.

Data quality: `validate_raw` runs the raw checkpoints (expectations/) on each run's answers
and records `validated` or `quarantined` in raw/run_status (its log has the Data Docs link);
`raw_quality_gate` fails for a quarantined run and notifies ops ("data quality failed", with the
failing expectations and their observed values). A quarantined run is still published: the marts
leave it out, and `marts.runs` shows it.

Scheduling: specs run in their endpoint's lane, `ask_<pool>` (the endpoint's Airflow pool and
queue: `gpu` for self-hosted servers, the default queue for hosted APIs), built from the fleet
config ($CULTUREWATCH_CONFIG) when the DAG is parsed; an endpoint it does not list runs in
`ask`. A probe stopped by a budget cap fails without retrying; clear it to resume. Every probe
task has an `execution_timeout` derived from the fleet config's plan (its largest task asked
with every request at its deadline: `culturewatch.orchestration.lanes.probe_task_timeout`).

Secrets: credentials in an endpoint's `base_url` never reach Airflow's database: `plan` hands
on the specs redacted (XCom, rendered fields), each probe task takes the real URL back from the
config (`with_credentials`) and registers its credentials with Airflow's secrets masker for its
own log; what the library writes or logs is redacted itself (`culturewatch.redaction`).

Params: `config` — run configuration YAML (default: $CULTUREWATCH_CONFIG, else the embedded
default); `model` and `version` — probe only that configured model, as that version identity
(what the watch DAG passes; empty: every model, versions resolved now).
"""

from __future__ import annotations

from airflow.sdk import Param, get_current_context, task

from culturewatch.orchestration.dag_args import config_param
from culturewatch.orchestration.lanes import (
    DEFAULT_LANE,
    fleet_lanes,
    lane_task_id,
    load_fleet,
    probe_task_timeout,
)


def params() -> dict[str, Param]:
    return {
        "config": config_param(),
        "model": Param(None, type=["null", "string"], description="probe only this configured model"),
        "version": Param(None, type=["null", "string"], description="as this version identity"),
    }


def _mask_url_secrets(base_url: object) -> None:
    from airflow.sdk.log import mask_secret

    from culturewatch.redaction import url_secrets

    for secret in url_secrets(str(base_url)):
        mask_secret(secret)


def plan(params: dict | None = None) -> dict[str, object]:
    # the run's specs, redacted, routed to their endpoint's lane (the lanes of the fleet config)
    from culturewatch.probing.orchestrate import plan_probe

    fleet = fleet_lanes(load_fleet())
    specs = plan_probe(params["config"], model=params.get("model"), version=params.get("version"))
    lanes: dict[str, list[dict]] = {lane: [] for lane in [DEFAULT_LANE, *(lane.task_id for lane in fleet)]}
    for spec in specs:
        _mask_url_secrets(spec.endpoint["base_url"])
        lanes[lane_task_id(spec.endpoint, fleet)].append(spec.redacted().to_dict())
    print(f"planned {len(specs)} probe task(s): {[spec.label for spec in specs]}")
    print({lane: len(chosen) for lane, chosen in lanes.items()})
    return {"run_ids": sorted({spec.run_id for spec in specs}), "lanes": lanes}


def _ask(spec: dict) -> dict:
    from airflow.sdk.exceptions import AirflowFailException

    from culturewatch.probing.budget import BudgetExceeded
    from culturewatch.probing.orchestrate import with_credentials
    from culturewatch.probing.probe_specs import ProbeSpec
    from culturewatch.probing.runner import pending_cells, run_probe
    from culturewatch.settings import data_paths
    from culturewatch.storage.progress import AnswerProgress

    context = get_current_context()
    probe = with_credentials(
        ProbeSpec.from_dict({**spec, "airflow_dag_run_id": context["run_id"]}),  # for run links
        context["params"]["config"],
    )
    _mask_url_secrets(probe.endpoint["base_url"])
    context["probe_label"] = probe.label
    paths = data_paths()
    progress = AnswerProgress(paths, probe.label, len(pending_cells(probe, paths)[0]))  # logged per 10
    try:
        return run_probe(probe, paths, progress=progress).to_dict()
    except BudgetExceeded as exc:  # retrying cannot help until the cap allows: fail, keep answers
        raise AirflowFailException(str(exc)) from exc


def _lane_specs(planned, lane_id: str):
    """The specs of one lane (mapping needs a task's own return value)."""

    @task(task_id=f"specs_for_{lane_id}")
    def route(planned: dict) -> list[dict]:
        return planned["lanes"][lane_id]

    return route(planned)


def ask_in_lanes(planned) -> list:
    """The mapped probe tasks, one per lane: `ask` for endpoints the fleet config does not list,
    and `ask_<pool>` (the pool's queue and slots) per pool of the fleet config as this DAG is
    parsed, each mapped over the specs `plan` routed to it, with the plan's execution timeout."""
    fleet = load_fleet()
    timeout = probe_task_timeout(fleet)
    lanes = [(DEFAULT_LANE, {}), *((lane.task_id, lane.operator_args()) for lane in fleet_lanes(fleet))]
    return [
        task(task_id=lane_id, map_index_template="{{ probe_label }}", execution_timeout=timeout, **args)(
            _ask
        ).expand(spec=_lane_specs(planned, lane_id))
        for lane_id, args in lanes
    ]


def publish(planned: dict) -> dict:
    from culturewatch.reporting.run_summary import format_summary, run_summary
    from culturewatch.settings import data_paths
    from culturewatch.storage.compaction import compact_runs

    paths = data_paths()
    runs = run_summary(paths, planned["run_ids"])
    print(format_summary(runs))
    compact_runs(paths, [run["run_id"] for run in runs if run["status"] == "complete"])
    return {"runs": runs}


def explain_failure(planned: dict) -> None:
    from culturewatch.reporting.run_summary import format_summary, run_summary
    from culturewatch.settings import data_paths

    runs = run_summary(data_paths(), planned["run_ids"])
    print(format_summary(runs))
    failed = [failure for run in runs for failure in run["failed"]]
    raise RuntimeError(f"probe failed: {failed or 'see the failed task logs (no failure event written)'}")


def validate_raw(planned: dict) -> list[dict]:
    from culturewatch.quality.gates import gate_raw
    from culturewatch.settings import data_paths

    return gate_raw(data_paths(), [spec for chosen in planned["lanes"].values() for spec in chosen])


def raw_quality_gate(verdicts: list[dict]) -> None:
    from culturewatch.quality.gates import raise_if_quarantined

    raise_if_quarantined(verdicts)
