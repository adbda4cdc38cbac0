"""One claim per run lane (issue 14 item 3): two probes of one run never ask a cell twice, and a
probe killed while holding the claim is resumed once its claim expires.

The probes are real `culturewatch probe` processes against an OpenAI-compatible server on
127.0.0.1 whose request log is the evidence; the claims live in the data dir's SQLite state
database. The claims table's own contract, on SQLite and PostgreSQL, is test_claims_contract.py.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from culturewatch.probing.cache import COMMIT_INTERVAL_S
from culturewatch.settings import DATA_DIR_ENV, PROJECT_ROOT, DataPaths
from culturewatch.storage.parquet import read_table
from culturewatch.storage.schema import RAW_RESPONSE_KEY
from tests.fake_openai_server import FakeOpenAIServer

pytestmark = pytest.mark.long(31)  # seconds, measured on 2 cores: handed out first

CELLS = 48  # 2 countries x 24 VSM items, English only: one lane


def _config(tmp_path: Path, base_url: str, concurrency: int, batch_size: int) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"models:\n  - name: fake-model\n    base_url: {base_url}\n    version: v1\n"
        "grid:\n  settings: [english]\n  countries: [US, DE]\n"
        f"client: {{concurrency: {concurrency}, batch_size: {batch_size}, max_retries: 0}}\n"
    )
    return path


def _probe(paths: DataPaths, config: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "culturewatch.cli", "probe", "--config", str(config)],
        env={
            **os.environ,
            DATA_DIR_ENV: str(paths.root),
            "PYTHONPATH": str(PROJECT_ROOT / "include"),
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _asked(server: FakeOpenAIServer) -> Counter[str]:
    return Counter(json.dumps(request["messages"], sort_keys=True) for request in server.requests)


def _on_disk(paths: DataPaths) -> list[tuple[object, ...]]:
    [folder] = paths.raw_responses.store.list_files("raw/responses")[:1] or [None]
    assert folder is not None
    run_id = folder.path.split("run_id=", 1)[1].split("/", 1)[0]
    table = read_table(paths.run_dir(run_id))
    return list(zip(*(table.column(name).to_pylist() for name in RAW_RESPONSE_KEY), strict=True))


def test_two_probes_of_one_run_at_once_ask_every_cell_once(paths: DataPaths, tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.delay_s = 0.05  # the two processes overlap for seconds
        config = _config(tmp_path, server.base_url, concurrency=2, batch_size=6)
        first, second = _probe(paths, config), _probe(paths, config)
        outputs = [process.communicate(timeout=300)[0] for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    asked = _asked(server)
    assert len(server.requests) == CELLS and set(asked.values()) == {1}  # each cell asked once
    keys = _on_disk(paths)
    assert len(keys) == CELLS and len(set(keys)) == CELLS  # each key written once
    # one of them waited for the other's claim and then found nothing left to ask
    assert any("0 answered now, 48 already on disk, 0 requests sent" in output for output in outputs), outputs


def test_a_killed_holder_is_resumed_after_its_claim_expires(paths: DataPaths, tmp_path: Path) -> None:
    ttl = "3"
    with FakeOpenAIServer() as server:
        server.delay_s = 0.1
        config = _config(tmp_path, server.base_url, concurrency=1, batch_size=4)
        holder = _probe(paths, config, CULTUREWATCH_CLAIM_TTL_S=ttl)
        deadline = time.monotonic() + 60
        while len(server.requests) < 14 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(holder.pid, signal.SIGKILL)  # no `failed` event, no release: only the TTL frees it
        holder.wait(10)
        asked_before = len(server.requests)
        on_disk_before = len(_on_disk(paths))
        assert 0 < on_disk_before < CELLS
        started = time.monotonic()
        resumed = _probe(paths, config, CULTUREWATCH_CLAIM_TTL_S=ttl)
        output = resumed.communicate(timeout=300)[0]
        waited = time.monotonic() - started
    assert resumed.returncode == 0, output
    keys = _on_disk(paths)
    assert len(keys) == CELLS and len(set(keys)) == CELLS
    # the resume asked only what was missing: answers cached before the kill are not asked again.
    # A SIGKILL runs no Python, so it loses the request in flight (concurrency 1) and the answers
    # that arrived within the cache's commit interval (probing.cache: answers are committed in
    # groups, within COMMIT_INTERVAL_S): one answer here, as each takes the server delay_s
    asked_twice_at_most = 1 + math.ceil(COMMIT_INTERVAL_S / server.delay_s)
    asked = _asked(server)
    assert len(asked) == CELLS, asked
    assert sum(count - 1 for count in asked.values()) <= asked_twice_at_most, asked
    assert len(server.requests) - asked_before <= CELLS - on_disk_before + asked_twice_at_most
    assert waited >= 1.0  # it waited for the dead holder's claim to expire (ttl 3 s)
