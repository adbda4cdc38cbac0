"""A warehouse for the Alignment view: raw Parquet written with the real schemas, marts by dbt.

`fixture-model` is probed as three versions, every country prompted in English, one trial:

    v1  2026-01-01  US, DE answer 3 to every item        -> every VSM score 50
    v2  2026-02-01  the same answers                     -> the same numbers (no change)
    v3  2026-03-01  US answers every item at the extreme that puts its dimension farthest from
                    Hofstede's US score (pdi 100, idv 0, mas 0, uai 100, lto 100, ivr 0); DE as before
                    + a second v3 run that the data-quality gate quarantined

Deviation ratios (ground truth: the Hofstede seed; worked by hand in tests/dbt/test_regressions.py):
    US all-3: 170.3 / 109 = 1.562385    US extreme: 170.3 / 409 = 0.416381    DE all-3: 114.2 / 106 = 1.077358
so the `english` mean over US and DE is 1.319872 for v1 and v2 and 0.746870 for v3, and v2 -> v3 is
an open regression of US (deviation_ratio_english and _aligned: US is asked in its own language).

A second model's name, version and replies are HTML/script injections, and the quarantined run's
reason carries markup: every page must show them as text. `hostile=False` leaves both out (a
plain reason, no second model): the clean warehouse of the docs screenshot.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from culturewatch.settings import DataPaths
from culturewatch.storage.schema import RUN_STATUS_SCHEMA
from tests.dbt.raw_fixture import questionnaire, write_events, write_parquet, write_responses

MODEL = "fixture-model"
HOSTILE_MODEL = '<script>alert("model")</script>'
HOSTILE_VERSION = '"><img src=x onerror=alert(1)>'
HOSTILE_REPLY = "<script>alert('reply')</script> 3"
US_EXTREME = {
    **{"m07": 5, "m02": 1, "m20": 5, "m23": 1},  # pdi 100
    **{"m04": 1, "m01": 5, "m09": 1, "m06": 5},  # idv 0
    **{"m05": 1, "m03": 5, "m08": 1, "m10": 5},  # mas 0
    **{"m18": 5, "m15": 1, "m21": 5, "m24": 1},  # uai 100
    **{"m13": 5, "m14": 1, "m19": 5, "m22": 1},  # lto 100
    **{"m12": 1, "m11": 5, "m17": 1, "m16": 5},  # ivr 0
}
DR_US_NEUTRAL = 170.3 / 109
DR_US_EXTREME = 170.3 / 409
DR_DE_NEUTRAL = 114.2 / 106
EXPECTED_ENGLISH_MEANS = {
    "v1": (DR_US_NEUTRAL + DR_DE_NEUTRAL) / 2,
    "v2": (DR_US_NEUTRAL + DR_DE_NEUTRAL) / 2,
    "v3": (DR_US_EXTREME + DR_DE_NEUTRAL) / 2,
}
US_EXTREME_SCORES = {"pdi": 100.0, "idv": 0.0, "mas": 0.0, "uai": 100.0, "lto": 100.0, "ivr": 0.0}
QUARANTINED_RUN = "run-v3-b"


def _event(run_id: str, model: str, version: str, event: str, at: datetime) -> dict[str, object]:
    return {
        "run_id": run_id,
        "event": event,
        "instrument": "vsm2013",
        "model": model,
        "model_version": version,
        "base_url": "http://127.0.0.1:0/v1",
        "prompt_language": "en",
        "cells_planned": 48,
        "cells_answered": 48 if event == "completed" else 0,
        "requests_sent": 48 if event == "completed" else 0,
        "prompt_tokens": 480 if event == "completed" else 0,
        "completion_tokens": 96 if event == "completed" else 0,
        "cost_usd": None,
        "recorded_at": at,
        "message": None,
    }


def _run(
    data_dir: Path,
    run_id: str,
    version: str,
    at: datetime,
    answers: dict[str, dict[str, float]],
    model: str = MODEL,
    reply: str | None = None,
) -> None:
    rows = []
    for country, given in answers.items():
        for row in questionnaire(run_id, country, "en", given, model_version=version):
            rows.append({**row, "model": model, "requested_at": at + timedelta(minutes=1)})
            if reply is not None:
                rows[-1]["response_text"] = reply
    write_responses(data_dir, run_id, "part-0.parquet", rows)
    write_events(
        data_dir,
        run_id,
        "events.parquet",
        [
            _event(run_id, model, version, "started", at),
            _event(run_id, model, version, "completed", at + timedelta(minutes=5)),
        ],
    )


QUARANTINE_REASON = "parse rate <b>below</b> 0.9"
CLEAN_QUARANTINE_REASON = "parse rate 0.62, below 0.9"


def write_raw(data_dir: Path, hostile: bool = True) -> None:
    january = datetime(2026, 1, 1, 12, tzinfo=UTC)
    neutral = {"US": {}, "DE": {}}
    _run(data_dir, "run-v1", "v1", january, neutral)
    _run(data_dir, "run-v2", "v2", january + timedelta(days=31), neutral)
    _run(data_dir, "run-v3", "v3", january + timedelta(days=59), {"US": US_EXTREME, "DE": {}})
    _run(data_dir, QUARANTINED_RUN, "v3", january + timedelta(days=60), neutral)
    write_parquet(
        data_dir / "raw" / "run_status" / f"run_id={QUARANTINED_RUN}",
        "status.parquet",
        [
            {
                "run_id": QUARANTINED_RUN,
                "status": "quarantined",
                "stage": "raw",
                "reason": QUARANTINE_REASON if hostile else CLEAN_QUARANTINE_REASON,
                "failed_expectations": "[]",
                "data_docs_url": None,
                "recorded_at": january + timedelta(days=60, minutes=10),
            }
        ],
        RUN_STATUS_SCHEMA,
    )
    if not hostile:
        return
    _run(
        data_dir,
        "run-hostile",
        HOSTILE_VERSION,
        january,
        {"US": {}},
        model=HOSTILE_MODEL,
        reply=HOSTILE_REPLY,
    )


def build_dashboard_warehouse(data_dir: Path, hostile: bool = True) -> DataPaths:
    """Raw files here, `build_marts` in a child process: dbt-duckdb keeps its read-write handle open
    in the process that ran it, and the view under test must open the file read-only."""
    write_raw(data_dir, hostile=hostile)
    script = (
        "import sys; from pathlib import Path; from culturewatch.settings import DataPaths; "
        "from culturewatch.transform.warehouse_build import build_marts; "
        "build_marts(DataPaths(Path(sys.argv[1])))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(data_dir)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return DataPaths(data_dir)
