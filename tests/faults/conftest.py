"""The fault suite's helpers: a probe config for a fault server, the CLI run in-process, and the
request-log checks every fault test makes (nothing lost, nothing duplicated, nothing asked again)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from culturewatch.cli import main
from culturewatch.probing.prompts import prompt_text
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_table
from culturewatch.storage.schema import RAW_RESPONSE_KEY, RUN_EVENT_SCHEMA
from tests.faults.fault_server import Exchange, FaultServer, answered_prompts, asked_again

ITEMS = ["m01", "m02", "m03"]
MODEL = "fake-model"
VERSION = "v1"


def write_config(
    path: Path,
    base_url: str,
    *,
    items: list[str] = ITEMS,
    timeout_s: float = 5,
    max_retries: int = 1,
    concurrency: int = 1,
    batch_size: int = 24,
    extra_model: str = "",
) -> Path:
    path.write_text(
        "models:\n"
        f"  - name: {MODEL}\n"
        f"    base_url: {base_url}\n"
        f"    version: {VERSION}\n"
        f"{extra_model}"
        "grid:\n"
        "  settings: [english]\n"
        "  countries: [US]\n"
        f"  items: {json.dumps(items)}\n"
        "client:\n"
        f"  concurrency: {concurrency}\n"
        f"  timeout_s: {timeout_s}\n"
        f"  max_retries: {max_retries}\n"
        f"  batch_size: {batch_size}\n"
    )
    return path


def run_cli(paths: DataPaths, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """`culturewatch --data-dir <paths> <argv>` in-process: its exit code and the last `error:` or
    `interrupted:` line it printed (None when it printed none)."""
    capsys.readouterr()
    code = main(["--data-dir", str(paths.root), *argv])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith(("error:", "interrupted:"))]
    return code, lines[-1] if lines else ""


def run_ids(paths: DataPaths) -> list[str]:
    folders = {file.path.split("/")[2] for file in paths.raw_runs.files()}  # raw/runs/run_id=<run>/...
    return sorted(folder.removeprefix("run_id=") for folder in folders)


def stored_rows(paths: DataPaths) -> list[dict[str, object]]:
    return [row for run_id in run_ids(paths) for row in read_table(paths.run_dir(run_id)).to_pylist()]


def run_events(paths: DataPaths) -> list[dict[str, object]]:
    events = [
        row
        for run_id in run_ids(paths)
        for row in read_table(paths.run_folder("runs", run_id), RUN_EVENT_SCHEMA).to_pylist()
    ]
    return sorted(events, key=lambda row: row["recorded_at"])


def arrived_prompts(paths: DataPaths) -> set[str]:
    """The prompts whose answer reached the probe: those in its response cache (every answer is
    cached as it arrives, before it is read and written)."""
    if not paths.cache_db.exists():
        return set()
    with sqlite3.connect(paths.cache_db) as db:
        requests = [json.loads(row[0]) for row in db.execute("select request from responses")]
    return {prompt_text(request["messages"]) for request in requests}


def assert_nothing_lost_duplicated_or_asked_again(
    server: FaultServer | list[Exchange],
    paths: DataPaths,
    interrupted: tuple[float, set[str]] | None = None,
) -> None:
    """From the server's request log: every answer it sent is stored (0 lost), each cell once
    (0 duplicated), and no prompt was asked again once answered (0 completed prompts re-asked).

    `interrupted`: (time.monotonic() of the interrupt, `arrived_prompts` right after it). An answer
    the server wrote just before the interrupt may not have been read by the probe yet (the server
    cannot tell); such a prompt may be asked again, but only if its answer had not arrived and it
    was in flight (written less than 2 s before the interrupt)."""
    log = server.log if isinstance(server, FaultServer) else server
    rows = stored_rows(paths)
    keys = Counter(tuple(row[name] for name in RAW_RESPONSE_KEY) for row in rows)
    assert [key for key, count in keys.items() if count > 1] == [], "duplicated"
    stored = {row["prompt"] for row in rows}
    answered = {prompt_text(json.loads(prompt)["messages"]) for prompt in answered_prompts(log)}
    assert sorted(answered - stored) == [], "lost"
    again = asked_again(log)
    if interrupted is not None:
        interrupted_at, arrived = interrupted
        assert sorted(arrived - stored) == [], "lost after arriving"
        in_flight = {
            exchange.prompt
            for exchange in log
            if exchange.answered and interrupted_at - 2.0 <= (exchange.answered_at or 0.0)
        }
        again = [
            prompt
            for prompt in again
            if prompt not in in_flight or prompt_text(json.loads(prompt)["messages"]) in arrived
        ]
    assert again == [], "asked again"
