"""Hand-made raw Parquet for the dbt tests, written the way the probe writes it (the one Arrow schema)."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
ITEMS = [f"m{number:02d}" for number in range(1, 25)]
DIMENSIONS = ("pdi", "idv", "mas", "uai", "lto", "ivr")
REQUESTED_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


MODEL = "fixture-model"
MODEL_VERSION = "v1"
FIXTURE_ROW: dict[str, object] = {
    "model": MODEL,
    "model_version": MODEL_VERSION,
    "instrument": "vsm2013",
    "style": "classification",
    "variant": "base",
    "trial": 0,
    "answer_method": "parsed",
    "requested_at": REQUESTED_AT,
    "instrument_version": "2013.1.0",
    "parser_version": "fixture",
    "temperature": 0.0,
    "max_tokens": 32,
    "prompt_tokens": 10,
    "completion_tokens": 2,
    "cache_hit": False,
}
"""The columns every fixture's raw response row shares unless it says otherwise (a column of
RAW_RESPONSE_SCHEMA that no row names is null)."""


def response_row(**columns: object) -> dict[str, object]:
    """One raw response row: FIXTURE_ROW with `columns` over it."""
    return {**FIXTURE_ROW, **columns}


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
    **columns: object,
) -> dict[str, object]:
    """A VSM answer `answer` (None: unparseable unless `status` says otherwise) of a persona
    (`aware`) or, without a country, persona-free prompt; `columns` override any column."""
    return (
        response_row(
            run_id=run_id,
            model_version=model_version,
            item_id=item_id,
            country=country,
            prompt_language=language,
            strategy="aware" if country else "unaware",
            variant=variant,
            trial=trial,
            prompt=f"{item_id} for {country} in {language}",
            response_text=None if answer is None else str(answer),
            answer=None if answer is None else float(answer),
            parse_status=status if answer is not None or status != "ok" else "unparseable",
        )
        | columns
    )


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


def write_completed_run_events(
    data_dir: Path,
    rows: list[dict[str, object]],
    *,
    started_at: datetime,
    finished_at: datetime | None = None,
    **fields: object,
) -> None:
    """The `started` and `completed` events of the run that asked exactly `rows` (one run's raw
    responses; the run, instrument, model and version come from its first row), as the probe
    writes them; `fields` set the other event columns (tokens, cost, base_url, ...)."""
    first = rows[0]
    event = {
        "run_id": first["run_id"],
        "instrument": str(first["instrument"]),
        "model": first["model"],
        "model_version": first["model_version"],
        "base_url": "http://127.0.0.1:9/v1",
        "prompt_language": None,
        "cells_planned": len(rows),
        "requests_sent": len(rows),
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": None,
        "message": None,
        **fields,
    }
    started = {**event, "event": "started", "cells_answered": 0, "recorded_at": started_at}
    completed = {
        **event,
        "event": "completed",
        "cells_answered": len(rows),
        "recorded_at": finished_at or started_at,
    }
    write_events(data_dir, str(first["run_id"]), "part-0.parquet", [started, completed])


# What every development build here hands dbt, the same for every data dir: dbt runs in the data
# dir, so the database and the data dir are relative paths. dbt's partial-parse state is valid only
# for the same profile (its connection keys include the database path), the same --vars and the
# same env vars read while parsing; with these it is, and one parse serves every build (`_parsed`).
DATABASE = "warehouse.duckdb"
DBT_ENV = {"CULTUREWATCH_DATA_DIR": ".", "CULTUREWATCH_BUILD_DATABASE": DATABASE}


def _dbt_in_process(
    command: list[str], cwd: Path, work_dir: Path, variables: str | None = None
) -> subprocess.CompletedProcess[str]:
    """dbt in this process (dbtRunner, as the library runs it), in `cwd` with DBT_ENV; its log
    lines come back as `stdout`, its exception as `stderr`, success as return code 0. They come
    back through dbt's event callback alone: printing them and writing a debug log file besides
    cost a tenth of a build (measured: 14.3 s of CPU against 16 s, 414 nodes)."""
    from dbt.cli.main import dbtRunner

    from culturewatch.transform.warehouse_build import release_dbt_connections

    arguments = [
        *command,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
        "--no-send-anonymous-usage-stats", "--quiet", "--log-level-file", "none",
    ]  # fmt: skip
    if variables:
        arguments += ["--vars", variables]
    lines: list[str] = []

    def collect(event) -> None:
        if event.info.level != "debug" and event.info.msg:
            lines.append(str(event.info.msg))

    with _dbt_environment(cwd):
        try:
            outcome = dbtRunner(callbacks=[collect]).invoke(arguments)
        finally:
            release_dbt_connections()  # the warehouse file is free for the test to read
    stderr = f"{type(outcome.exception).__name__}: {outcome.exception}" if outcome.exception else ""
    return subprocess.CompletedProcess(
        ["dbt", *arguments], 0 if outcome.success else 1, "\n".join(lines), stderr
    )


@contextmanager
def _dbt_environment(cwd: Path) -> Iterator[None]:
    """DBT_ENV set, the store unset (the data dir is the store), `cwd` the working directory;
    all restored after."""
    previous = {key: os.environ.get(key) for key in (*DBT_ENV, "CULTUREWATCH_STORE")}
    working = Path.cwd()
    os.environ.pop("CULTUREWATCH_STORE", None)
    os.environ.update(DBT_ENV)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(working)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@functools.cache
def _parsed() -> Path:
    """The project's partial-parse state (dbt's own `partial_parse.msgpack`), from one full
    `dbt parse` per test session: a new target folder starts from it, so a build without --vars
    parses nothing (dbt parses everything again when --vars differ from the saved state's)."""
    folder = Path(tempfile.mkdtemp(prefix="culturewatch-dbt-parse-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    result = _dbt_in_process(["parse"], folder, folder)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return folder / "target" / PARTIAL_PARSE_FILE


def run_dbt(
    command: list[str],
    data_dir: Path,
    work_dir: Path,
    variables: dict[str, object] | str | None = None,
    *,
    scan: bool = True,
    unit_tests: bool = False,
) -> subprocess.CompletedProcess[str]:
    """A development build of `data_dir` (its raw files as the store): the raw manifest is scanned
    into `data_dir/warehouse.duckdb` (culturewatch.transform.warehouse_build.write_raw_manifest;
    `scan=False` skips it), then dbt runs on that file, with target/ and logs/ in `work_dir`
    (parallel runs don't collide). A new target folder gets the session's parse state (`_parsed`),
    except for `dbt parse` itself, which parses from nothing. A `build` leaves out dbt's unit tests
    unless `unit_tests`: they check the SQL of a model, not the fixture's data, and run once, in
    tests/dbt/test_dbt_unit_tests.py. The write-audit-publish build itself is tested in
    tests/dataplane."""
    from culturewatch.settings import DataPaths
    from culturewatch.transform.warehouse_build import write_raw_manifest

    if scan:
        write_raw_manifest(DataPaths(data_dir), data_dir / DATABASE)
    state = work_dir / "target" / PARTIAL_PARSE_FILE
    if command[0] != "parse" and not state.exists():
        state.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_parsed(), state)
    if command[0] == "build" and unit_tests is False:
        command = [*command, "--exclude-resource-type", "unit_test"]
    if variables is not None and not isinstance(variables, str):
        variables = json.dumps(variables)
    return _dbt_in_process(command, data_dir, work_dir, variables or None)


def dbt(
    command: list[str],
    data_dir: Path,
    work_dir: Path,
    variables: dict[str, object] | None = None,
    *,
    unit_tests: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`run_dbt`, asserting success (the output tail in the failure message)."""
    result = run_dbt(command, data_dir, work_dir, variables, unit_tests=unit_tests)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result


def fetch(data_dir: Path, sql: str, parameters: list[object] | None = None) -> list[dict[str, object]]:
    """Rows of a query on the warehouse as dicts (a short read-only connection: dbt can write next)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        cursor = connection.execute(sql, parameters or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_same_rows(actual: list[dict[str, object]], expected: list[dict[str, object]]) -> None:
    """Row-for-row equality; floats up to summation-order rounding (1e-12 relative)."""
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got.keys() == want.keys()
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
            else:
                assert got[key] == value, key
