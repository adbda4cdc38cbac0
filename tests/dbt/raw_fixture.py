"""Hand-made raw Parquet for the dbt tests, written the way the probe writes it (the one Arrow schema)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
ITEMS = [f"m{number:02d}" for number in range(1, 25)]
DIMENSIONS = ("pdi", "idv", "mas", "uai", "lto", "ivr")
REQUESTED_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def response(
    run_id: str,
    country: str | None,
    language: str,
    item_id: str,
    answer: float | None,
    *,
    trial: int = 0,
    variant: str = "base",
    status: str = "ok",
    model_version: str = "v1",
) -> dict[str, object]:
    return {
        "run_id": run_id,
        "model": "fixture-model",
        "model_version": model_version,
        "instrument": "vsm2013",
        "item_id": item_id,
        "country": country,
        "prompt_language": language,
        "style": "classification",
        "strategy": "aware" if country else "unaware",
        "variant": variant,
        "trial": trial,
        "prompt": f"{item_id} for {country} in {language}",
        "response_text": None if answer is None else str(answer),
        "answer": None if answer is None else float(answer),
        "answer_method": "parsed",
        "parse_status": status if answer is not None or status != "ok" else "unparseable",
        "requested_at": REQUESTED_AT,
        "instrument_version": "2013.1.0",
        "parser_version": "fixture",
        "temperature": 0.0,
        "max_tokens": 32,
        "prompt_tokens": 10,
        "completion_tokens": 2,
        "cache_hit": False,
    }


def questionnaire(
    run_id: str,
    country: str | None,
    language: str,
    answers: dict[str, float] | None = None,
    **kwargs: object,
) -> list[dict[str, object]]:
    """All 24 items answered 3 unless `answers` says otherwise."""
    answers = answers or {}
    return [response(run_id, country, language, item, answers.get(item, 3), **kwargs) for item in ITEMS]


def write_parquet(directory: Path, name: str, rows: list[dict[str, object]], schema: pa.Schema) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), directory / name)


def write_responses(data_dir: Path, run_id: str, name: str, rows: list[dict[str, object]]) -> None:
    write_parquet(data_dir / "raw" / "responses" / f"run_id={run_id}", name, rows, RAW_RESPONSE_SCHEMA)


def write_events(
    data_dir: Path,
    run_id: str,
    name: str,
    rows: list[dict[str, object]],
    schema: pa.Schema = RUN_EVENT_SCHEMA,
) -> None:
    write_parquet(data_dir / "raw" / "runs" / f"run_id={run_id}", name, rows, schema)


def dbt(
    command: list[str], data_dir: Path, work_dir: Path, variables: dict[str, object] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run dbt on `data_dir` with target/ and logs/ in `work_dir` (parallel runs don't collide)."""
    env = {
        **os.environ,
        "CULTUREWATCH_DATA_DIR": str(data_dir),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    arguments = [
        sys.executable, "-m", "dbt.cli.main", *command,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
    ]  # fmt: skip
    if variables:
        arguments += ["--vars", json.dumps(variables)]
    result = subprocess.run(arguments, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result


def fetch(data_dir: Path, sql: str, parameters: list[object] | None = None) -> list[dict[str, object]]:
    """Rows of a query on the warehouse as dicts (a short read-only connection: dbt can write next)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        cursor = connection.execute(sql, parameters or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
