"""Builders for hand-made raw fixtures of the WVS marts: rows written with the real Arrow schemas.

Shared by tests/dbt/test_wvs_marts.py and tests/dbt/test_self_consistency.py. A fixture is a
data dir with raw Parquet (responses, run events and, when given, judgements) laid out as the
probe lays it out (`raw/<table>/run_id=<run>/part-N.parquet`), built with one `dbt build`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from culturewatch.storage.schema import JUDGEMENT_SCHEMA, RAW_RESPONSE_SCHEMA
from tests.dbt import raw_fixture
from tests.dbt.raw_fixture import MODEL, MODEL_VERSION, REQUESTED_AT, write_completed_run_events
from tests.dbt.raw_fixture import response as vsm_response

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def response(
    run_id: str,
    instrument: str,
    item_id: str,
    *,
    country: str | None,
    strategy: str,
    style: str = "classification",
    variant: str = "base",
    language: str = "en",
    trial: int = 0,
    answer: float | None = None,
    probs: list[float] | None = None,
    status: str = "ok",
    temperature: float = 0.7,
    in_prompt_language: bool | None = True,
) -> dict[str, object]:
    """One raw response row; `probs` makes it a logprobs answer (pass their expected value as `answer`)."""
    return vsm_response(
        run_id,
        country,
        language,
        item_id,
        answer,
        trial=trial,
        variant=variant,
        instrument=instrument,
        style=style,
        strategy=strategy,
        prompt=f"{instrument} {item_id} {country} {strategy} {variant} {trial}",
        response_text=None if status == "error" else "reply",
        answer_probs=probs,
        answer_method="logprobs" if probs is not None else "parsed",
        parse_status=status,
        instrument_version="1.0.0",
        temperature=temperature,
        max_tokens=64,
        latency_ms=1.0,
        error="boom" if status == "error" else None,
        response_language_matches=in_prompt_language,
    )


def judgements(reply: dict[str, object], stances: Sequence[str]) -> list[dict[str, object]]:
    """The judge's labels (`pro`/`con`/`null`), one row per hypothetical respondent of `reply`."""
    key = ("run_id", "instrument", "item_id", "country", "prompt_language", "style", "strategy")
    return [
        {
            **{column: reply[column] for column in key},
            "variant": reply["variant"],
            "trial": reply["trial"],
            "respondent": respondent,
            "stance": stance,
            "judge_model": "fixture-judge",
            "judge_version": "j1",
            "judge_prompt_version": "1",
            "judged_at": REQUESTED_AT,
        }
        for respondent, stance in enumerate(stances)
    ]


def stances(n_pro: int, n_con: int, n_null: int = 0) -> list[str]:
    return ["pro"] * n_pro + ["con"] * n_con + ["null"] * n_null


def write_fixture(
    data_dir: Path,
    responses: list[dict[str, object]],
    judged: list[dict[str, object]] | None = None,
) -> None:
    """Write each run's rows as two part files (so a run spans files) plus its run events."""
    run_ids = sorted({str(row["run_id"]) for row in responses})
    for run_id in run_ids:
        rows = [row for row in responses if row["run_id"] == run_id]
        folder = data_dir / "raw" / "responses" / f"run_id={run_id}"
        folder.mkdir(parents=True)
        half = len(rows) // 2
        for number, part in enumerate((rows[:half], rows[half:])):
            pq.write_table(
                pa.Table.from_pylist(part, schema=RAW_RESPONSE_SCHEMA), folder / f"part-{number}.parquet"
            )
        write_completed_run_events(
            data_dir,
            rows,
            started_at=REQUESTED_AT,
            model=MODEL,
            model_version=MODEL_VERSION,
            base_url="http://localhost:0/v1",
            prompt_tokens=10 * len(rows),
            completion_tokens=2 * len(rows),
        )
    for run_id in sorted({str(row["run_id"]) for row in judged or []}):
        rows = [row for row in judged or [] if row["run_id"] == run_id]
        folder = data_dir / "raw" / "judgements" / f"run_id={run_id}"
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=JUDGEMENT_SCHEMA), folder / "part-0.parquet")


def run_dbt(
    arguments: Sequence[str], data_dir: Path, work_dir: Path, dbt_vars: str | None = None
) -> subprocess.CompletedProcess[str]:
    """A development dbt run on `data_dir` (raw_fixture.run_dbt)."""
    return raw_fixture.run_dbt(list(arguments), data_dir, work_dir, dbt_vars)


def build(data_dir: Path, work_dir: Path) -> None:
    result = run_dbt(["build"], data_dir, work_dir)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


def fetch(data_dir: Path, sql: str, parameters: Sequence[object] = ()) -> list[dict[str, object]]:
    """Rows of a query on the fixture's warehouse, as dicts (read-only, connection closed after)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        cursor = connection.execute(sql, list(parameters))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
