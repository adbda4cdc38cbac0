"""Write–audit–publish (issue 14 item 1): readers only ever see the last published build.

- While a build runs whose Great Expectations marts audit fails for one run, the Alignment view is
  polled every 0.5 s and an analyst's read-only DuckDB connection is opened each time: every
  answer is a 200 and every connection opens. The failing run is quarantined before publishing
  (verdict in the store's quality/verdicts/, nothing written into raw/) and the build publishes
  the other runs, with no second dbt build.
- A build whose dbt tests fail publishes nothing: the published build and the builder's state stay
  as they were, and the next build reads the failed build's input again from raw (no row of the
  failed build survives into it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import httpx
import pytest

from culturewatch.dashboard.app import create_app
from culturewatch.quality.gates import gate_raw
from culturewatch.quality.run_plan import RunPlan, plan_path
from culturewatch.settings import DATA_DIR_ENV, PROJECT_ROOT, DataPaths, data_paths
from culturewatch.storage.schema import RUN_STATUS_SCHEMA
from culturewatch.storage.warehouse import connect_warehouse, published
from culturewatch.transform.warehouse_build import BuildFailed, build_marts
from tests.dbt.raw_fixture import write_parquet
from tests.local_http_server import serving
from tests.unit.quality_fixture import specs_for, write_run

pytestmark = pytest.mark.long(78)  # seconds, measured on 2 cores: handed out first

BUILD_ID = re.compile(r"build (\d{8}T\d{12}Z-[0-9a-f]{6})")
GRID_A = {"settings": ["english"], "countries": ["US", "JP"]}
GRID_B = {"settings": ["english"], "countries": ["US", "DE"]}
GRID_C = {"settings": ["english"], "countries": ["US", "FR"]}


def _probe_and_gate(paths: DataPaths, grid: dict[str, object]) -> str:
    specs = specs_for(grid)
    plan = write_run(paths, specs)
    [verdict] = gate_raw(paths, specs)
    assert verdict["status"] == "validated"
    return plan.run_id


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[DataPaths, str]:
    paths = data_paths(tmp_path_factory.mktemp("data"))
    run_a = _probe_and_gate(paths, GRID_A)
    build_marts(paths)
    return paths, run_a


def test_a_data_dirs_first_build_parses_nothing(store: tuple[DataPaths, str]) -> None:
    """dbt runs from the builds folder, which names the candidate and the data dir relative to it:
    the partial-parse state published with the manifest (`culturewatch dbt-manifest`) is then
    valid as it is in a new data dir, whose first build parses nothing (a whole parse is seconds)."""
    paths, _ = store
    first = (paths.root / "dbt" / "logs" / "dbt.log").read_text().split("Running with dbt=")[1]
    assert "Partial parsing enabled, no changes found" in first
    assert "Starting full parse" not in first


class Poller:
    """Every 0.5 s: GET the Alignment view and open + query the published warehouse read-only."""

    def __init__(self, url: str, paths: DataPaths) -> None:
        self.url, self.paths = url, paths
        self.statuses: list[int] = []
        self.builds_seen: set[str] = set()
        self.connection_errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                response = client.get(self.url)
                self.statuses.append(response.status_code)
                self.builds_seen.update(BUILD_ID.findall(response.text))
                try:  # an analyst: duckdb -readonly <data dir>/warehouse.duckdb
                    with duckdb.connect(str(self.paths.warehouse), read_only=True) as analyst:
                        analyst.execute("select count(*) from marts.runs").fetchone()
                except duckdb.Error as error:
                    self.connection_errors.append(str(error))
                self._stop.wait(0.5)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture(scope="module")
def view(store: tuple[DataPaths, str]) -> str:
    paths, _ = store
    with serving(create_app(lambda: paths), start_timeout_s=20) as base:
        yield f"{base}/alignment"


def test_readers_are_never_refused_while_a_build_whose_audit_fails_runs(store, view) -> None:
    paths, run_a = store
    before = published(paths)
    run_b = _probe_and_gate(paths, GRID_B)
    # the marts audit of run B will fail: its recorded plan now claims a country it never asked
    plan = json.loads(paths.store.get_bytes(plan_path(paths, run_b)))
    plan["pairs"].append(["FR", "en"])
    paths.store.put_bytes(plan_path(paths, run_b), json.dumps(plan).encode())
    raw_before = sorted(file.path for file in paths.store.list_files("raw"))

    with Poller(view, paths) as poller:
        time.sleep(1.5)  # readers before the build
        build = subprocess.run(
            [sys.executable, "-m", "culturewatch.cli", "build"],
            env={**os.environ, DATA_DIR_ENV: str(paths.root), "PYTHONPATH": str(PROJECT_ROOT / "include")},
            capture_output=True,
            text=True,
            timeout=600,
        )
        time.sleep(1.5)  # readers after it
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert f"run {run_b}: quarantined at the marts audit" in build.stdout

    assert len(poller.statuses) >= 10 and set(poller.statuses) == {200}, poller.statuses
    assert poller.connection_errors == []
    after = published(paths)
    assert after.build_id != before.build_id and after.based_on == before.build_id
    # every answer showed the published build of its moment, the old one then the new one
    assert poller.builds_seen == {before.build_id, after.build_id}, poller.builds_seen

    with connect_warehouse(paths) as connection:
        runs = dict(connection.execute("select run_id, status from marts.runs").fetchall())
        scored = {
            row[0]
            for row in connection.execute("select distinct run_id from marts.vsm_country_scores").fetchall()
        }
        reason = connection.execute(
            "select status_reason from marts.runs where run_id = ?", [run_b]
        ).fetchone()[0]
    assert runs[run_b] == "quarantined" and "rows_match_plan" in reason
    assert scored == {run_a}  # run B left every mart before publishing; run A is still there
    # the verdict went to the store's quality/verdicts, nothing was written into raw/
    assert sorted(file.path for file in paths.store.list_files("raw")) == raw_before
    assert paths.verdict_folder(run_b).files()


def test_a_failed_build_publishes_nothing_and_leaves_no_row_behind(store) -> None:
    paths, _ = store
    before = published(paths)
    state_before = (paths.builds / "state.json").read_text()
    run_c = _probe_and_gate(paths, GRID_C)
    bogus = paths.root / "quality" / "verdicts" / f"run_id={run_c}"
    verdict = {
        "run_id": run_c,
        "status": "bogus",
        "stage": "raw",
        "recorded_at": datetime.now(UTC),
    }
    write_parquet(bogus, "part-bogus.parquet", [verdict], RUN_STATUS_SCHEMA)  # breaks a dbt test of staging

    with pytest.raises(BuildFailed, match="accepted_values_stg_raw__run_status_status"):
        build_marts(paths)
    assert published(paths) == before
    assert (paths.builds / "state.json").read_text() == state_before
    failed = paths.builds / "failed.duckdb"
    with duckdb.connect(str(failed), read_only=True) as connection:
        loaded_by_failed = connection.execute(
            "select max(loaded_at) from staging.stg_raw__responses where run_id = ?", [run_c]
        ).fetchone()[0]
    assert loaded_by_failed is not None  # the failed build had loaded run C

    (bogus / "part-bogus.parquet").unlink()
    outcome = build_marts(paths)
    assert outcome.published.based_on == before.build_id  # not on the failed build
    with duckdb.connect(str(paths.builds / "state.duckdb"), read_only=True) as connection:
        loaded = connection.execute(
            "select min(loaded_at) from staging.stg_raw__responses where run_id = ?", [run_c]
        ).fetchone()[0]
    assert loaded > loaded_by_failed  # run C was read again from raw, not carried over


def test_every_mart_declares_how_a_quarantined_run_leaves_it() -> None:
    from culturewatch.transform.warehouse_build import MARTS_DIR, mart_quarantines

    declared = {mart.mart for mart in mart_quarantines()}
    assert declared == {path.stem for path in MARTS_DIR.glob("*.sql")}
    assert all(mart.action in ("delete", "mark", "keep") for mart in mart_quarantines())


def test_plan_is_a_store_object(store) -> None:
    paths, run_a = store
    assert RunPlan.load(paths, run_a).run_id == run_a
    assert Path(paths.store.fs_path(plan_path(paths, run_a))).is_file()
