"""Build, audit and publish the warehouse marts whenever new raw responses land.

Scheduled on the raw-responses Asset that the probe DAG emits. One `dbt build` (Cosmos
ExecutionMode.WATCHER: the `dbt.dbt_producer_watcher` task) runs inside a write–audit–publish
build: it writes a new candidate database, the Great Expectations marts checkpoints audit the
runs it brings in (a failing run is quarantined and leaves the candidate), and only then is the
candidate published, in one atomic step. Readers (the Alignment view, reports, alerts, analysts)
keep reading the last published build throughout and are never refused. Each dbt model and its
tests has a sensor task that shows its result. A build that fails publishes nothing: clear or
re-trigger to build again (each try starts from the published state).

`marts_quality_gate` fails, and notifies ops, when the audit quarantined a run; `summarize`
emits the marts Asset (alerts and promotion follow) and returns each model version's headlines.
"""

from __future__ import annotations

from culturewatch.orchestration.cosmos_setup import AUDIT_XCOM_KEY, PRODUCER_TASK


def summarize() -> list[dict]:
    """Logs each run's deviation-ratio table; returns each model version's headline numbers."""
    from culturewatch.marts import leaderboard_summaries, run_ids
    from culturewatch.reporting.summary import deviation_ratio_table
    from culturewatch.settings import data_paths

    paths = data_paths()
    for run_id in run_ids(paths):
        print(deviation_ratio_table(paths, run_id))
    return leaderboard_summaries(paths)


def marts_quality_gate(ti=None) -> None:
    from culturewatch.quality.gates import raise_if_quarantined

    raise_if_quarantined(ti.xcom_pull(task_ids=f"dbt.{PRODUCER_TASK}", key=AUDIT_XCOM_KEY) or [])
