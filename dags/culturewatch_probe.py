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
`ask`. A probe stopped by a budget cap fails without retrying; clear it to resume.

Params: `config` — run configuration YAML (default: $CULTUREWATCH_CONFIG, else the embedded
default); `model` and `version` — probe only that configured model, as that version identity
(what the watch DAG passes; empty: every model, versions resolved now).
"""

from __future__ import annotations

from airflow.sdk import Param, TriggerRule, dag, get_current_context, task
from pendulum import datetime

from culturewatch.assets import RAW_RESPONSES
from culturewatch.quality.airflow_notifier import DataQualityFailedNotifier
from culturewatch.scheduling import DEFAULT_LANE, fleet_config_path, fleet_lanes, load_fleet

LANES = fleet_lanes(load_fleet())
LANE_IDS = [DEFAULT_LANE, *(lane.task_id for lane in LANES)]


def _ask(spec: dict) -> dict:
    from airflow.sdk.exceptions import AirflowFailException

    from culturewatch.probing.budget import BudgetExceeded
    from culturewatch.probing.plan import ProbeSpec
    from culturewatch.probing.runner import run_probe
    from culturewatch.settings import data_paths

    probe = ProbeSpec.from_dict(spec)
    get_current_context()["probe_label"] = probe.label
    try:
        return run_probe(probe, data_paths()).to_dict()
    except BudgetExceeded as exc:  # retrying cannot help until the cap allows: fail, keep answers
        raise AirflowFailException(str(exc)) from exc


@dag(
    schedule=None,
    start_date=datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "culturewatch", "retries": 2},
    params={
        "config": Param(str(fleet_config_path()), type="string", description="run configuration YAML"),
        "model": Param(None, type=["null", "string"], description="probe only this configured model"),
        "version": Param(None, type=["null", "string"], description="as this version identity"),
    },
    tags=["culturewatch", "probe"],
    doc_md=__doc__,
)
def culturewatch_probe():
    @task
    def plan(params: dict | None = None) -> dict[str, object]:
        from culturewatch.probing.orchestrate import plan_probe
        from culturewatch.scheduling import lane_task_id

        specs = plan_probe(params["config"], model=params.get("model"), version=params.get("version"))
        lanes: dict[str, list[dict]] = {lane: [] for lane in LANE_IDS}
        for spec in specs:
            lanes[lane_task_id(spec.endpoint, LANES)].append(spec.to_dict())
        print(f"planned {len(specs)} probe task(s): {[spec.label for spec in specs]}")
        print({lane: len(chosen) for lane, chosen in lanes.items()})
        return {"run_ids": sorted({spec.run_id for spec in specs}), "lanes": lanes}

    def lane_specs(planned, lane_id: str):
        """The specs of one lane (mapping needs a task's own return value)."""

        @task(task_id=f"specs_for_{lane_id}")
        def route(planned: dict) -> list[dict]:
            return planned["lanes"][lane_id]

        return route(planned)

    planned = plan()
    ask = task(task_id=DEFAULT_LANE, map_index_template="{{ probe_label }}")(_ask).expand(
        spec=lane_specs(planned, DEFAULT_LANE)
    )
    lanes = [
        task(task_id=lane.task_id, map_index_template="{{ probe_label }}", **lane.operator_args())(
            _ask
        ).expand(spec=lane_specs(planned, lane.task_id))
        for lane in LANES
    ]

    @task(outlets=[RAW_RESPONSES], trigger_rule=TriggerRule.NONE_FAILED)
    def publish(planned: dict) -> dict:
        from culturewatch.reporting.run_summary import format_summary, run_summary
        from culturewatch.settings import data_paths

        runs = run_summary(data_paths(), planned["run_ids"])
        print(format_summary(runs))
        return {"runs": runs}

    @task(trigger_rule=TriggerRule.ONE_FAILED, retries=0)
    def explain_failure(planned: dict) -> None:
        from culturewatch.reporting.run_summary import format_summary, run_summary
        from culturewatch.settings import data_paths

        runs = run_summary(data_paths(), planned["run_ids"])
        print(format_summary(runs))
        failed = [failure for run in runs for failure in run["failed"]]
        raise RuntimeError(f"probe failed: {failed or 'see the failed task logs (no failure event written)'}")

    # also after a failed probe (retries exhausted): its partial run is quarantined, never published
    # (ALL_DONE, not ALL_DONE_MIN_ONE_SUCCESS: a lane with no specs is skipped, which that rule
    # propagates)
    @task(trigger_rule=TriggerRule.ALL_DONE)
    def validate_raw(planned: dict) -> list[dict]:
        from culturewatch.quality.gates import gate_raw
        from culturewatch.settings import data_paths

        return gate_raw(data_paths(), [spec for chosen in planned["lanes"].values() for spec in chosen])

    @task(retries=0, on_failure_callback=DataQualityFailedNotifier(config="{{ params.config }}"))
    def raw_quality_gate(verdicts: list[dict]) -> None:
        from culturewatch.quality.gates import raise_if_quarantined

        raise_if_quarantined(verdicts)

    done = [ask, *lanes]
    verdicts = validate_raw(planned)
    published = publish(planned)
    done >> verdicts >> published
    done >> published
    raw_quality_gate(verdicts)
    done >> explain_failure(planned)


culturewatch_probe()
