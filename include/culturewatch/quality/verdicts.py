"""Data-quality verdicts on runs: append-only rows of `quality/verdicts/run_id=<run>/` in the
shared store (RUN_STATUS_SCHEMA; deployments before the write-audit-publish warehouse wrote them
under `raw/run_status/`, which is still read).

The latest verdict of a run decides whether analysts and alerts see it (docs/raw-data.md, "Run
status"): `quarantined` hides it from every mart, `validated` and `released` publish it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from culturewatch.identifiers import check_run_id
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_table, write_batch
from culturewatch.storage.schema import RUN_STATUS_SCHEMA
from culturewatch.storage.store import Folder

VALIDATED = "validated"
QUARANTINED = "quarantined"
RELEASED = "released"
STAGES = ("raw", "marts", "manual")
LEGACY_FOLDER = "raw/run_status"


def record_verdict(
    paths: DataPaths,
    run_id: str,
    status: str,
    stage: str,
    reason: str | None,
    failures: list[dict[str, object]] | None = None,
    data_docs_url: str | None = None,
) -> dict[str, object]:
    """Append one verdict (its own Parquet file, written once) and return it as a row."""
    if status not in (VALIDATED, QUARANTINED, RELEASED):
        raise ValueError(f"unknown status {status!r}")
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    row: dict[str, object] = {
        "run_id": run_id,
        "status": status,
        "stage": stage,
        "reason": reason,
        "failed_expectations": json.dumps(failures or [], sort_keys=True),
        "data_docs_url": data_docs_url,
        "recorded_at": datetime.now(UTC),
    }
    write_batch(paths.verdict_folder(run_id), [row], RUN_STATUS_SCHEMA)
    return row


def run_verdicts(paths: DataPaths, run_id: str) -> list[dict[str, object]]:
    """Every verdict of the run, oldest first."""
    legacy = Folder(paths.store, f"{LEGACY_FOLDER}/run_id={check_run_id(run_id)}")
    rows = [
        *read_table(legacy, RUN_STATUS_SCHEMA).to_pylist(),
        *read_table(paths.verdict_folder(run_id), RUN_STATUS_SCHEMA).to_pylist(),
    ]
    return sorted(rows, key=lambda row: row["recorded_at"])


def latest_verdict(paths: DataPaths, run_id: str) -> dict[str, object] | None:
    rows = run_verdicts(paths, run_id)
    return rows[-1] if rows else None
