"""Probe every configured model version with the active instrument.

One mapped task per (model version × prompt language), named in the UI by model, version
and language. Each task asks only the cells its run does not have on disk yet, so a retry
or a re-run resumes instead of repeating; answers land as append-only Parquet under
`$CULTUREWATCH_DATA_DIR/raw/responses/run_id=…`. The last task emits the raw-responses
Asset that schedules the transform DAG.

Params: `config` — path of the run configuration YAML (default: the embedded default).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task
from pendulum import datetime

from culturewatch.assets import RAW_RESPONSES
from culturewatch.config.loader import bundled_config


@dag(
    schedule=None,
    start_date=datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "culturewatch", "retries": 2},
    params={
        "config": Param(str(bundled_config("embedded")), type="string", description="run configuration YAML")
    },
    tags=["culturewatch", "probe"],
    doc_md=__doc__,
)
def culturewatch_probe():
    @task
    def plan(params: dict | None = None) -> list[dict]:
        from culturewatch.probing.orchestrate import plan_probe

        specs = plan_probe(params["config"])
        print(f"planned {len(specs)} probe task(s): {[spec.label for spec in specs]}")
        return [spec.to_dict() for spec in specs]

    @task(map_index_template="{{ probe_label }}")
    def ask(spec: dict) -> dict:
        from culturewatch.probing.plan import ProbeSpec
        from culturewatch.probing.runner import run_probe
        from culturewatch.settings import data_paths

        probe = ProbeSpec.from_dict(spec)
        get_current_context()["probe_label"] = probe.label
        return run_probe(probe, data_paths()).to_dict()

    @task(outlets=[RAW_RESPONSES])
    def publish(outcomes: list[dict]) -> dict:
        runs = sorted({outcome["run_id"] for outcome in outcomes})
        answered = sum(outcome["cells_answered"] + outcome["cells_already_done"] for outcome in outcomes)
        planned = sum(outcome["cells_planned"] for outcome in outcomes)
        print(f"runs {runs}: {answered}/{planned} cells on disk")
        return {"run_ids": runs, "cells_planned": planned, "cells_on_disk": answered}

    publish(ask.expand(spec=plan()))


culturewatch_probe()
