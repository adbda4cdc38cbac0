"""The `runs` mart from hand-made run events and responses (one build), and `dbt docs generate`.

Each mapped probe task (one prompt language = one slice of a run) writes `started`, then
`completed` or `failed`, per attempt; the mart sums planned/answered over each slice's latest
event and tokens/cost over `completed` events (every number below is worked from the events).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from culturewatch.storage.schema import RUN_EVENT_SCHEMA
from tests.dbt.raw_fixture import REQUESTED_AT, dbt, fetch, response, write_events, write_responses

LATER_COLUMNS = {"instrument", "cost_usd", "airflow_dag_run_id"}
OLD_EVENT_SCHEMA = pa.schema([field for field in RUN_EVENT_SCHEMA if field.name not in LATER_COLUMNS])


def _event(run_id: str, language: str, event: str, minute: int, **numbers: object) -> dict[str, object]:
    return {
        "run_id": run_id,
        "event": event,
        "instrument": "vsm2013",
        "model": "fixture-model",
        "model_version": "v1",
        "base_url": "http://localhost:0/v1",
        "prompt_language": language,
        "cells_planned": 24,
        "cells_answered": 0,
        "requests_sent": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": 0.0,
        "recorded_at": REQUESTED_AT + timedelta(minutes=minute),
        "message": None,
        "airflow_dag_run_id": None,
        **numbers,
    }


def _answers(run_id: str, language: str, statuses: dict[str, int]) -> list[dict[str, object]]:
    """One row per item m01.., `statuses` many of each parse status (answers only for `ok`)."""
    rows, number = [], 1
    for status, count in statuses.items():
        for _ in range(count):
            answer = 3 if status == "ok" else None
            rows.append(response(run_id, "US", language, f"m{number:02d}", answer, status=status))
            number += 1
    return rows


def _write_fixture(data_dir: Path) -> None:
    done = {"requests_sent": 24, "cells_answered": 24}
    # run-complete: en completed at once; de failed after 10 cells, then a retry completed
    # (the failed event records 0 tokens, as the probe writes it)
    write_events(data_dir, "run-complete", "e0.parquet", [
        _event("run-complete", "en", "started", 0),
        _event("run-complete", "en", "completed", 5, prompt_tokens=1000, completion_tokens=100,
               cost_usd=0.01, **done),
        _event("run-complete", "de", "started", 1),
        _event("run-complete", "de", "failed", 2, cells_answered=10, message="endpoint down",
               airflow_dag_run_id="manual__first"),
    ])  # fmt: skip
    write_events(data_dir, "run-complete", "e1.parquet", [
        _event("run-complete", "de", "started", 10, cells_answered=10, airflow_dag_run_id="manual__retry"),
        _event("run-complete", "de", "completed", 12, prompt_tokens=500, completion_tokens=50, cost_usd=0.005,
               requests_sent=14, cells_answered=24, airflow_dag_run_id="manual__retry"),
    ])  # fmt: skip
    write_responses(
        data_dir, "run-complete", "r0.parquet", _answers("run-complete", "en", {"ok": 21, "unparseable": 3})
    )
    write_responses(
        data_dir,
        "run-complete",
        "r1.parquet",
        _answers("run-complete", "de", {"ok": 20, "refusal": 2, "error": 2}),
    )
    # run-failed: one slice, failed after 5 cells
    write_events(data_dir, "run-failed", "e0.parquet", [
        _event("run-failed", "en", "started", 0),
        _event("run-failed", "en", "failed", 3, cells_answered=5, message="429 exhausted"),
    ])  # fmt: skip
    write_responses(data_dir, "run-failed", "r0.parquet", _answers("run-failed", "en", {"ok": 5}))
    # run-running: en completed; de failed, and its retry has started
    write_events(data_dir, "run-running", "e0.parquet", [
        _event("run-running", "en", "started", 0),
        _event("run-running", "en", "completed", 4, prompt_tokens=10, completion_tokens=1,
               cost_usd=0.5, **done),
        _event("run-running", "de", "started", 0),
        _event("run-running", "de", "failed", 2, cells_answered=3),
        _event("run-running", "de", "started", 9, cells_answered=3),
    ])  # fmt: skip
    write_responses(data_dir, "run-running", "r0.parquet", _answers("run-running", "en", {"ok": 24}))
    # run-unpriced: completed, but the model config has no price (cost_usd null)
    write_events(data_dir, "run-unpriced", "e0.parquet", [
        _event("run-unpriced", "en", "started", 0, cost_usd=None),
        _event("run-unpriced", "en", "completed", 1, cost_usd=None, prompt_tokens=7,
               completion_tokens=3, **done),
    ])  # fmt: skip
    # run-old: events written before `instrument` and `cost_usd` existed
    old = [
        _event("run-old", "en", "started", 0),
        _event("run-old", "en", "completed", 2, prompt_tokens=4, **done),
    ]
    for event in old:
        del event["instrument"], event["cost_usd"], event["airflow_dag_run_id"]
    write_events(data_dir, "run-old", "e0.parquet", old, schema=OLD_EVENT_SCHEMA)
    write_responses(data_dir, "run-old", "r0.parquet", _answers("run-old", "en", {"ok": 2}))
    # run-no-events: answers on disk, no lifecycle event
    write_responses(data_dir, "run-no-events", "r0.parquet", _answers("run-no-events", "en", {"ok": 1}))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data_dir = tmp_path_factory.mktemp("data")
    work_dir = tmp_path_factory.mktemp("dbt")
    _write_fixture(data_dir)
    # cautious: a test runs only when every model it reads is built (a relationships test of a
    # mart outside the selection that points at a seed would otherwise be picked up via the seed)
    selection = ["--select", "resource_type:seed +runs", "--indirect-selection", "cautious"]
    dbt(["build", *selection], data_dir, work_dir)
    return data_dir, work_dir


def _run(built: tuple[Path, Path], run_id: str) -> dict[str, object]:
    (row,) = fetch(built[0], "select * from marts.runs where run_id = ?", [run_id])
    return row


def test_one_row_per_run(built):
    rows = fetch(built[0], "select run_id from marts.runs order by run_id")
    assert [row["run_id"] for row in rows] == [
        "run-complete", "run-failed", "run-no-events", "run-old", "run-running", "run-unpriced"
    ]  # fmt: skip


def test_complete_run_after_a_retry(built):
    row = _run(built, "run-complete")
    assert (row["status"], row["instrument"], row["model"], row["model_version"]) == (
        "complete", "vsm2013", "fixture-model", "v1"
    )  # fmt: skip
    # latest events: en completed (24/24), de completed after the retry (24/24)
    assert (row["n_slices"], row["n_slices_complete"], row["n_slices_failed"]) == (2, 2, 0)
    assert (row["cells_planned"], row["cells_answered"]) == (48, 48)
    # started at the first event (minute 0), finished at the last completed event (minute 12)
    assert row["started_at"] == REQUESTED_AT
    assert row["finished_at"] == REQUESTED_AT + timedelta(minutes=12)
    # on disk: 21 ok + 3 unparseable (en), 20 ok + 2 refusal + 2 error (de)
    assert (row["rows_on_disk"], row["n_parse_ok"], row["n_parse_unparseable"]) == (48, 41, 3)
    assert (row["n_parse_refusal"], row["n_parse_error"]) == (2, 2)
    # completed attempts only: tokens 1000 + 500, 100 + 50; requests 24 + 14; cost 0.01 + 0.005
    assert (row["prompt_tokens"], row["completion_tokens"], row["requests_sent"]) == (1500, 150, 38)
    assert row["cost_usd"] == pytest.approx(0.015)
    assert row["n_events"] == 6
    # the DAG run of the latest event that names one (the retry), for the readers' run links
    assert row["airflow_dag_run_id"] == "manual__retry"


def test_failed_run(built):
    row = _run(built, "run-failed")
    assert row["status"] == "failed"
    assert (row["cells_planned"], row["cells_answered"], row["rows_on_disk"]) == (24, 5, 5)
    assert row["finished_at"] == REQUESTED_AT + timedelta(minutes=3)
    # no completed attempt: no tokens counted, and the cost is unknown rather than 0
    assert (row["prompt_tokens"], row["requests_sent"], row["cost_usd"]) == (0, 0, None)


def test_running_run_while_a_retry_is_in_flight(built):
    row = _run(built, "run-running")
    assert row["status"] == "running"
    assert row["finished_at"] is None
    assert (row["n_slices_running"], row["n_slices_complete"], row["n_slices_failed"]) == (1, 1, 0)
    # en 24/24 (completed) + de 3 cells carried into the retry's `started` event
    assert (row["cells_planned"], row["cells_answered"]) == (48, 27)
    assert row["cost_usd"] == pytest.approx(0.5)


def test_cost_is_null_without_a_price_never_a_partial_sum(built):
    row = _run(built, "run-unpriced")
    assert (row["status"], row["prompt_tokens"], row["completion_tokens"]) == ("complete", 7, 3)
    assert row["cost_usd"] is None
    assert row["rows_on_disk"] == 0


def test_events_written_before_instrument_and_cost_existed(built):
    row = _run(built, "run-old")
    # instrument from the responses; cost unknown
    assert (row["status"], row["instrument"], row["prompt_tokens"], row["cost_usd"]) == (
        "complete", "vsm2013", 4, None
    )  # fmt: skip
    assert row["airflow_dag_run_id"] is None  # probed outside Airflow, or before the column


def test_run_without_events_has_no_status(built):
    row = _run(built, "run-no-events")
    assert (row["status"], row["n_events"], row["n_slices"], row["rows_on_disk"]) == (None, 0, 0, 1)
    assert (row["cells_planned"], row["started_at"], row["cost_usd"]) == (None, None, None)


# (run, parse_rate, is_every_slice_complete), worked from the fixture's events and responses
PARSE_AND_COMPLETENESS = [
    ("run-complete", 41 / 48, True),  # both slices' latest events completed (de after its retry)
    ("run-failed", 1.0, False),  # 5 of 5 rows parsed; its only slice failed
    ("run-no-events", 1.0, False),  # no lifecycle event: not complete
    ("run-old", 1.0, True),
    ("run-running", 1.0, False),  # de's retry has started
    ("run-unpriced", None, True),  # no row on disk: no parse rate
]


def test_parse_rate_and_slice_completeness_are_mart_columns(built):
    rows = fetch(
        built[0], "select run_id, parse_rate, is_every_slice_complete from marts.runs order by run_id"
    )
    found = [(row["run_id"], row["parse_rate"], row["is_every_slice_complete"]) for row in rows]
    assert found == [
        (run, pytest.approx(rate) if rate else rate, done) for run, rate, done in PARSE_AND_COMPLETENESS
    ]


def test_raw_readers_agree_with_the_runs_mart(built):
    """The probe summary and the discovery read the raw events before any build (the marts may be
    stale then); what they compute is the mart's definition."""
    from culturewatch.discovery.probed import run_states
    from culturewatch.reporting.run_summary import run_summary
    from culturewatch.settings import data_paths

    paths = data_paths(built[0])
    expected = {run: (rate, done) for run, rate, done in PARSE_AND_COMPLETENESS}
    states = {state.run_id: state.complete for state in run_states(paths)}
    assert states == {run: done for run, (_, done) in expected.items() if run != "run-no-events"}
    summaries = {run["run_id"]: run["parse_ok_share"] for run in run_summary(paths, list(expected))}
    assert summaries == {
        run: pytest.approx(rate) if rate else rate
        for run, (rate, _) in expected.items()
        if run != "run-no-events"
    }


def test_dbt_docs_generate_documents_the_marts(built):
    data_dir, work_dir = built
    dbt(["docs", "generate"], data_dir, work_dir)
    manifest = json.loads((work_dir / "target" / "manifest.json").read_text())
    catalog = json.loads((work_dir / "target" / "catalog.json").read_text())
    assert (work_dir / "target" / "index.html").exists()
    for model in ("runs", "vsm_country_scores", "deviation_ratio"):
        node = manifest["nodes"][f"model.culturewatch.{model}"]
        assert node["description"].strip()
        assert node["columns"] and all(column["description"].strip() for column in node["columns"].values())
    # the catalog read the built table's columns from the warehouse
    columns = catalog["nodes"]["model.culturewatch.runs"]["columns"]
    assert {"run_id", "status", "cells_planned", "cells_answered", "cost_usd"} <= set(columns)
