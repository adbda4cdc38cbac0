"""Quarantined runs leave every mart analysts and alerts read, and come back when released.

Fixture: two model versions of one model, each probed with the three instruments (identical
answers, so the two versions' numbers are identical too):

    v1  run-vsm-ok, run-cspa-ok, run-pol-ok     (run-vsm-ok gets a `validated` verdict later;
                                                 the other two never get a verdict)
    v2  run-vsm-bad, run-cspa-bad, run-pol-bad  (validated, then quarantined; later released)

Builds on one data dir (docs/raw-data.md "Run status": the latest verdict of a run decides):

    1  no raw/run_status/ files at all                          -> every run in every mart
    2  verdicts land: v2 runs validated, then quarantined        -> incremental build
    3  the same raw data, --full-refresh                         -> the same marts as 2
    4  `released` verdicts for the v2 runs                       -> incremental build
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from culturewatch.storage.schema import JUDGEMENT_SCHEMA, RUN_STATUS_SCHEMA
from tests.dbt.raw_fixture import (
    REQUESTED_AT,
    dbt,
    fetch,
    questionnaire,
    write_completed_run_events,
    write_parquet,
    write_responses,
)
from tests.dbt.wvs_fixture import judgements, response, stances

pytestmark = pytest.mark.long(54)  # seconds, measured on 2 cores: handed out first

MODEL = "fixture-model"
OK_RUNS = ("run-vsm-ok", "run-cspa-ok", "run-pol-ok")
BAD_RUNS = ("run-vsm-bad", "run-cspa-bad", "run-pol-bad")
# the marts that analysts and alerts read, keyed by run_id (model_leaderboard: by version)
RUN_MARTS = (
    "vsm_country_scores",
    "deviation_ratio",
    "self_consistency",
    "cultural_alignment_score",
    "cultural_alignment_matrix",
    "cultural_alignment_matrix_correlation",
    "distribution_similarity",
    "distribution_similarity_by_style",
    "value_polarity_alignment",
)
SELECT = (
    "resource_type:seed +model_leaderboard +vsm_country_scores +cultural_alignment_matrix_correlation "
    "+distribution_similarity_by_style"
)
# a test runs only when every model it reads is built (a relationships test of a mart outside the
# selection that points at a seed would otherwise be picked up through the seed)
BUILD = ["build", "--select", SELECT, "--indirect-selection", "cautious"]
TOPICS = ("e069_13", "f120", "f118", "f121", "e117")


def _vsm_rows(run_id: str, version: str) -> list[dict[str, object]]:
    rows = []
    for trial in (0, 1):
        rows += questionnaire(run_id, "US", "en", {"m02": 4, "m07": 1}, trial=trial, model_version=version)
        rows += questionnaire(run_id, "DE", "de", {"m11": 5, "m12": 1}, trial=trial, model_version=version)
    return rows


def _culturespa_rows(run_id: str, version: str) -> list[dict[str, object]]:
    # three cultures answering their WVS majorities on Q1 Q2 Q57 Q106 (see test_wvs_marts.py),
    # and one persona-free pass
    codes = {"US": (1, 1, 2, 1), "CN": (1, 2, 1, 8), "GB": (2, 1, 2, 7), None: (1, 2, 2, 5)}
    return [
        {
            **response(
                run_id, "wvs_culturespa", item, country=country,
                strategy="aware" if country else "unaware", answer=code, trial=trial,
            ),
            "model_version": version,
        }
        for country, answers in codes.items()
        for item, code in zip(("Q1", "Q2", "Q57", "Q106"), answers, strict=True)
        for trial in (0, 1)
    ]  # fmt: skip


def _polarity_rows(run_id: str, version: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    replies, judged = [], []
    for variant, pros in (("tpl00-var0", (1, 3, 2, 4, 5)), ("tpl01-var0", (2, 2, 3, 4, 4))):
        for topic, n_pro in zip(TOPICS, pros, strict=True):
            reply = {
                **response(
                    run_id, "wvs_polarity", topic, country=None, strategy="unaware", style="scenario",
                    variant=variant,
                ),
                "model_version": version,
            }  # fmt: skip
            replies.append(reply)
            judged += judgements(reply, stances(n_pro, 5 - n_pro))
    return replies, judged


def _write_run(data_dir: Path, run_id: str, version: str, rows: list[dict[str, object]], hour: int) -> None:
    write_responses(data_dir, run_id, "part-0.parquet", rows)
    started = REQUESTED_AT + timedelta(hours=hour)
    write_completed_run_events(
        data_dir,
        rows,
        started_at=started,
        finished_at=started + timedelta(minutes=5),
        model=MODEL,
        model_version=version,
        base_url="http://localhost:0/v1",
        prompt_language="en",
        prompt_tokens=10 * len(rows),
        completion_tokens=2 * len(rows),
        cost_usd=0.001,
    )


def _write_raw(data_dir: Path) -> None:
    for hour, (version, runs) in enumerate((("v1", OK_RUNS), ("v2", BAD_RUNS))):
        vsm, culturespa, polarity = runs
        _write_run(data_dir, vsm, version, _vsm_rows(vsm, version), hour)
        _write_run(data_dir, culturespa, version, _culturespa_rows(culturespa, version), hour)
        replies, judged = _polarity_rows(polarity, version)
        _write_run(data_dir, polarity, version, replies, hour)
        folder = data_dir / "raw" / "judgements" / f"run_id={polarity}"
        write_parquet(folder, "part-0.parquet", judged, JUDGEMENT_SCHEMA)


def _verdict(
    data_dir: Path, run_id: str, name: str, status: str, stage: str, minute: int, reason: str | None = None
) -> None:
    row = {
        "run_id": run_id,
        "status": status,
        "stage": stage,
        "reason": reason,
        "failed_expectations": '[{"expectation": "parse_rate", "observed_value": 0.2}]'
        if status == "quarantined"
        else None,
        "data_docs_url": f"file:///docs/{run_id}/{name}.html",
        "recorded_at": REQUESTED_AT + timedelta(days=1, minutes=minute),
    }
    write_parquet(data_dir / "quality" / "verdicts" / f"run_id={run_id}", name, [row], RUN_STATUS_SCHEMA)


def _snapshot(data_dir: Path) -> dict[str, list[dict[str, object]]]:
    marts = {mart: fetch(data_dir, f"select * from marts.{mart}") for mart in RUN_MARTS}
    marts["model_leaderboard"] = fetch(data_dir, "select * from marts.model_leaderboard")
    marts["runs"] = fetch(data_dir, "select * from marts.runs")
    return marts


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict[str, object]]]]:
    data_dir = tmp_path_factory.mktemp("data")
    work_dir = tmp_path_factory.mktemp("dbt")
    _write_raw(data_dir)
    assert not (data_dir / "quality" / "verdicts").exists()
    dbt(BUILD, data_dir, work_dir)
    snapshots = {"1": _snapshot(data_dir)}
    snapshots["1"]["run_status"] = fetch(data_dir, "select * from staging.stg_raw__run_status")

    # 2: each v2 run validated by the raw checkpoint, then quarantined by the marts checkpoint
    # (run-cspa-bad without a reason); run-vsm-ok validated
    for run_id in BAD_RUNS:
        _verdict(data_dir, run_id, "raw-0.parquet", "validated", "raw", 0)
        reason = None if run_id == "run-cspa-bad" else "parse rate 0.20 below 0.80 (en)"
        _verdict(data_dir, run_id, "marts-0.parquet", "quarantined", "marts", 10, reason)
    _verdict(data_dir, "run-vsm-ok", "raw-0.parquet", "validated", "raw", 0)
    dbt(BUILD, data_dir, work_dir)
    snapshots["2"] = _snapshot(data_dir)
    dbt([*BUILD, "--full-refresh"], data_dir, work_dir)
    snapshots["3"] = _snapshot(data_dir)

    # 4: ops release the v2 runs
    for run_id in BAD_RUNS:
        _verdict(data_dir, run_id, "manual-0.parquet", "released", "manual", 20, "false alarm")
    dbt(BUILD, data_dir, work_dir)
    snapshots["4"] = _snapshot(data_dir)
    return snapshots


def _runs_in(rows: list[dict[str, object]]) -> set[object]:
    return {row["run_id"] for row in rows}


def _normalised(rows: list[dict[str, object]], drop: tuple[str, ...] = ()) -> list[str]:
    """Rows as sorted strings, floats to 9 decimals (a parallel mean may differ in the last bit)."""
    return sorted(
        repr({key: round(value, 9) + 0.0 if isinstance(value, float) else value for key, value in row.items()
              if key not in drop})
        for row in rows
    )  # fmt: skip


def test_without_run_status_files_every_run_is_in_every_mart(builds):
    first = builds["1"]
    assert first["run_status"] == []
    # each instrument's marts hold both versions' runs (so the checks below are not vacuous)
    expected = {
        "vsm_country_scores": {"run-vsm-ok", "run-vsm-bad"},
        "deviation_ratio": {"run-vsm-ok", "run-vsm-bad"},
        "self_consistency": {"run-vsm-ok", "run-vsm-bad", "run-pol-ok", "run-pol-bad"},
        "cultural_alignment_score": {"run-cspa-ok", "run-cspa-bad"},
        "cultural_alignment_matrix": {"run-cspa-ok", "run-cspa-bad"},
        "cultural_alignment_matrix_correlation": {"run-cspa-ok", "run-cspa-bad"},
        "distribution_similarity": {"run-cspa-ok", "run-cspa-bad"},
        "distribution_similarity_by_style": {"run-cspa-ok", "run-cspa-bad"},
        "value_polarity_alignment": {"run-pol-ok", "run-pol-bad"},
    }
    for mart, runs in expected.items():
        assert _runs_in(first[mart]) == runs, mart
    assert {row["model_version"] for row in first["model_leaderboard"]} == {"v1", "v2"}
    runs = {row["run_id"]: row for row in first["runs"]}
    assert set(runs) == set(OK_RUNS + BAD_RUNS)
    assert {(row["status"], row["quality_status"], row["status_reason"]) for row in runs.values()} == {
        ("complete", None, None)
    }


def test_a_quarantined_run_leaves_every_mart(builds):
    second = builds["2"]
    for mart in RUN_MARTS:
        assert not _runs_in(second[mart]) & set(BAD_RUNS), mart
        # the other runs' rows are untouched
        kept = [row for row in builds["1"][mart] if row["run_id"] in OK_RUNS]
        assert second[mart] and _normalised(second[mart]) == _normalised(kept), mart
    # every v2 run is quarantined, so v2 has no headline at all; v1's is unchanged
    assert _normalised(second["model_leaderboard"]) == _normalised(
        [row for row in builds["1"]["model_leaderboard"] if row["model_version"] == "v1"]
    )


def test_a_quarantined_run_shows_as_quarantined_in_runs(builds):
    runs = {row["run_id"]: row for row in builds["2"]["runs"]}
    assert set(runs) == set(OK_RUNS + BAD_RUNS)  # nothing is deleted from `runs`
    bad = runs["run-vsm-bad"]
    assert (bad["status"], bad["status_reason"]) == ("quarantined", "parse rate 0.20 below 0.80 (en)")
    assert (bad["quality_status"], bad["quality_stage"]) == ("quarantined", "marts")
    assert bad["validated_at"] is None  # validated earlier, but the latest verdict decides
    assert bad["quality_recorded_at"] == REQUESTED_AT + timedelta(days=1, minutes=10)
    assert bad["data_docs_url"] == "file:///docs/run-vsm-bad/marts-0.parquet.html"
    # no reason given: the stage says where it was stopped
    cspa = runs["run-cspa-bad"]
    assert (cspa["status"], cspa["status_reason"]) == ("quarantined", "quarantined at the marts stage")
    # the lifecycle numbers are still there for diagnosis
    assert (bad["rows_on_disk"], bad["n_slices_complete"]) == (96, 1)
    # validated: published, status from the lifecycle, validated_at = the verdict's time
    ok = runs["run-vsm-ok"]
    assert (ok["status"], ok["quality_status"], ok["status_reason"]) == ("complete", "validated", None)
    assert ok["validated_at"] == REQUESTED_AT + timedelta(days=1)
    # no verdict yet: published, no quality status
    for run_id in ("run-cspa-ok", "run-pol-ok"):
        assert (runs[run_id]["status"], runs[run_id]["quality_status"]) == ("complete", None)


def test_the_incremental_build_equals_a_full_refresh(builds):
    for mart in (*RUN_MARTS, "model_leaderboard", "runs"):
        assert _normalised(builds["2"][mart]) == _normalised(builds["3"][mart]), mart


def test_a_released_run_comes_back(builds):
    fourth, first = builds["4"], builds["1"]
    for mart in (*RUN_MARTS, "model_leaderboard"):
        # the same rows and numbers as before the quarantine (leaderboard: same headlines)
        assert _normalised(fourth[mart]) == _normalised(first[mart]), mart
    runs = {row["run_id"]: row for row in fourth["runs"]}
    released = runs["run-pol-bad"]
    assert (released["status"], released["status_reason"], released["quality_status"]) == (
        "complete", None, "released"
    )  # fmt: skip
    assert released["validated_at"] == REQUESTED_AT + timedelta(days=1, minutes=20)
    # the rest of the row is what it was before any verdict
    quality = ("quality_status", "quality_stage", "quality_recorded_at", "validated_at", "data_docs_url")
    drop = (*quality, "run_source_files")
    assert _normalised(fourth["runs"], drop) == _normalised(first["runs"], drop)
