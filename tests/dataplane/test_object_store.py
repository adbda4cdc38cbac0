"""The data plane on an S3-compatible object store (issue 14), against a real server (SeaweedFS on
127.0.0.1, tests/object_store.py) and the claims in a real PostgreSQL: three hosts that share no
filesystem, only the store and the claims database.

- worker host (data dir A): probes a fake OpenAI-compatible server, gates the raw answers (plan
  and verdict in the store) and compacts the run, every byte into `s3://…`;
- builder host (data dir B): a write–audit–publish build whose dbt reads the raw files through
  DuckDB's httpfs and whose published file and pointer go to the store;
- reader host (data dir C): reads the published marts (`connect_warehouse`, the CLI);
- someone drops a stray copy and a truncated batch into the store's raw folders: the next build
  sets both aside and quarantines the truncated file's run, and the reader sees that build.

The Store's own behaviour on S3 is tested at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from culturewatch.errors import CulturewatchError
from culturewatch.probing.orchestrate import plan_probe
from culturewatch.probing.runner import run_probe
from culturewatch.quality.gates import gate_raw
from culturewatch.settings import DATA_DIR_ENV, PROJECT_ROOT, STATE_DB_ENV, STORE_ENV, DataPaths
from culturewatch.storage.compaction import compact_runs
from culturewatch.storage.parquet import COMPACTED_PREFIX
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA
from culturewatch.storage.store import Store
from culturewatch.storage.warehouse import POINTER, connect_warehouse, published
from culturewatch.transform.warehouse_build import BuildOutcome, build_marts
from tests.dataplane.conftest import unique_name
from tests.dbt.raw_fixture import questionnaire
from tests.fake_openai_server import FakeOpenAIServer
from tests.native_services import PostgresServer
from tests.object_store import SeaweedFS

pytestmark = pytest.mark.long(59)  # seconds, measured on 2 cores: handed out first

CELLS = 48  # US and JP, 24 VSM items, English: one lane
TRUNCATED_RUN = "run-s3-truncated"


@dataclass
class Hosts:
    """Three data dirs that share only the object store and the claims database."""

    server: SeaweedFS
    store_url: str
    state_db: str
    root: Path
    facts: dict[str, object] = field(default_factory=dict)

    def host(self, name: str) -> DataPaths:
        return DataPaths((self.root / name / "data").resolve(), self.store_url, self.state_db)

    @property
    def prefix(self) -> str:
        """The store's root as the independent client sees it: `<bucket>/<prefix>`."""
        return self.store_url.removeprefix("s3://")

    def listed(self, folder: str) -> list[str]:
        """Object keys under `folder` of the store, relative to the store, by an independent client."""
        selector = pafs.FileSelector(f"{self.prefix}/{folder}", recursive=True, allow_not_found=True)
        infos = self.server.filesystem().get_file_info(selector)
        return sorted(
            info.path.removeprefix(self.prefix + "/") for info in infos if info.type == pafs.FileType.File
        )

    def cli(self, name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        """`culturewatch …` as a new process on host `name` (its data dir, the shared store)."""
        paths = self.host(name)
        return subprocess.run(
            [sys.executable, "-m", "culturewatch.cli", *arguments],
            env={
                **os.environ,
                **self.server.env(),
                DATA_DIR_ENV: str(paths.root),
                STORE_ENV: self.store_url,
                STATE_DB_ENV: self.state_db,
                "PYTHONPATH": str(PROJECT_ROOT / "include"),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )


def _probe_on_worker(hosts: Hosts, tmp_path: Path) -> str:
    """The probe DAG's steps on the worker host: ask every cell, gate the raw answers, compact."""
    worker = hosts.host("worker")
    config = tmp_path / "config.yaml"
    with FakeOpenAIServer() as server:
        config.write_text(
            f"models:\n  - name: fake-model\n    base_url: {server.base_url}\n    version: v1\n"
            "grid:\n  settings: [english]\n  countries: [US, JP]\n"
            "client: {batch_size: 5}\n"
        )
        specs = plan_probe(config)
        for spec in specs:
            run_probe(spec, worker)
    [run_id] = sorted({spec.run_id for spec in specs})
    hosts.facts["batches"] = hosts.listed(f"raw/responses/run_id={run_id}")
    hosts.facts["raw_verdicts"] = gate_raw(worker, specs)
    hosts.facts["raw_verdict_files"] = hosts.listed(f"quality/verdicts/run_id={run_id}")
    hosts.facts["compacted"] = compact_runs(worker, [run_id])
    return run_id


def _drop_bad_files(hosts: Hosts, run_id: str) -> None:
    """What the store must survive: a stray copy of a raw file outside any run folder, and a run
    whose second batch was cut short (a sound first batch beside it)."""
    filesystem = hosts.server.filesystem()
    [compacted] = hosts.listed(f"raw/responses/run_id={run_id}")
    filesystem.copy_file(f"{hosts.prefix}/{compacted}", f"{hosts.prefix}/raw/responses/stray/copy.parquet")
    rows = questionnaire(TRUNCATED_RUN, "US", "en")
    folder = f"{hosts.prefix}/raw/responses/run_id={TRUNCATED_RUN}"
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows[12:], schema=RAW_RESPONSE_SCHEMA), sink)
    with filesystem.open_output_stream(f"{folder}/part-1.parquet") as cut:
        cut.write(sink.getvalue().to_pybytes()[: sink.getvalue().size // 2])
    pq.write_table(
        pa.Table.from_pylist(rows[:12], schema=RAW_RESPONSE_SCHEMA),
        f"{folder}/part-0.parquet",
        filesystem=filesystem,
    )


@pytest.fixture(scope="module")
def hosts(
    object_store: SeaweedFS, postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hosts]:
    name = unique_name("pipeline")
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in object_store.env().items():
            patch.setenv(variable, value)
        patch.delenv(STORE_ENV, raising=False)
        patch.delenv(STATE_DB_ENV, raising=False)
        root = tmp_path_factory.mktemp("hosts")
        hosts = Hosts(
            object_store, object_store.store_url(name.replace("_", "-")), postgres.create_database(name), root
        )
        run_id = _probe_on_worker(hosts, root)
        hosts.facts["run_id"] = run_id
        hosts.facts["first"] = build_marts(hosts.host("builder"))
        with connect_warehouse(hosts.host("reader")) as connection:
            hosts.facts["first_read"] = {
                "runs": connection.execute(
                    "select run_id, status, rows_on_disk from marts.runs order by 1"
                ).fetchall(),
                "scores": connection.execute(
                    "select run_id, country from marts.vsm_country_scores order by all"
                ).fetchall(),
                "uris": [
                    row[0]
                    for row in connection.execute(
                        "select distinct uri from raw_manifest.files where status = 'ok'"
                    ).fetchall()
                ],
            }
        hosts.facts["first_cli"] = [hosts.cli("reader", "warehouse"), hosts.cli("reader", "summary")]
        _drop_bad_files(hosts, run_id)
        hosts.facts["second"] = build_marts(hosts.host("builder"))
        yield hosts


def test_the_worker_writes_batches_to_the_store_and_compaction_leaves_one_file_per_table(
    hosts: Hosts,
) -> None:
    run_id = hosts.facts["run_id"]
    assert len(hosts.facts["batches"]) >= 10  # batches of 5 answers went to the store as they came
    assert [verdict["status"] for verdict in hosts.facts["raw_verdicts"]] == ["validated"]
    assert hosts.facts["compacted"][run_id]["responses"] is not None
    for folder in (f"raw/responses/run_id={run_id}", f"raw/runs/run_id={run_id}"):
        [only] = hosts.listed(folder)
        assert only.rsplit("/", 1)[1].startswith(COMPACTED_PREFIX), only
    assert hosts.listed("quality/plans") == [f"quality/plans/{run_id}.json"]  # the raw gate's plan
    assert len(hosts.facts["raw_verdict_files"]) == 1  # the raw gate's verdict went to the store
    # nothing of the run was written to the worker's own disk
    worker = hosts.host("worker").root
    assert not (worker / "raw").exists() and not (worker / "quality" / "verdicts").exists()


def test_the_builder_reads_raw_through_httpfs_and_publishes_to_the_store(hosts: Hosts) -> None:
    first: BuildOutcome = hosts.facts["first"]
    run_id = hosts.facts["run_id"]
    assert first.published is not None and first.set_aside == []
    assert [(verdict["run_id"], verdict["status"]) for verdict in first.verdicts] == [(run_id, "validated")]
    # each phase is timed (and logged); only the second build had a builder state to copy
    assert set(first.timings) == {"raw manifest", "dbt", "audit", "export", "publish"}
    assert set(hosts.facts["second"].timings) == {"state copy", *first.timings}
    builds = hosts.listed("warehouse/builds")
    assert f"warehouse/builds/{hosts.facts['second'].build_id}.duckdb" in builds
    pointer = json.loads(hosts.server.filesystem().open_input_stream(f"{hosts.prefix}/{POINTER}").read())
    assert pointer["build_id"] == hosts.facts["second"].build_id
    assert pointer["based_on"] == first.build_id  # the second build started from the first
    # dbt read the store's objects, not local copies
    assert hosts.facts["first_read"]["uris"]
    assert all(uri.startswith(hosts.store_url + "/") for uri in hosts.facts["first_read"]["uris"])
    assert not (hosts.host("builder").root / "raw").exists()


def test_a_reader_on_another_host_reads_the_published_marts(hosts: Hosts) -> None:
    run_id = hosts.facts["run_id"]
    first = hosts.facts["first_read"]
    assert first["runs"] == [(run_id, "complete", CELLS)]
    assert first["scores"] == [(run_id, "JP"), (run_id, "US")]
    reader = hosts.host("reader")
    downloaded = sorted(path.name for path in (reader.root / "cache" / "warehouse").glob("*.duckdb"))
    assert f"{hosts.facts['first'].build_id}.duckdb" in downloaded
    assert reader.warehouse.is_symlink()
    assert not (reader.root / "raw").exists() and not reader.builds.exists()  # a reader builds nothing


def test_the_cli_on_the_reader_host_shows_the_published_build(hosts: Hosts) -> None:
    warehouse, summary = hosts.facts["first_cli"]
    assert warehouse.returncode == 0, warehouse.stderr[-3000:]
    first = hosts.facts["first"].build_id
    assert f"published build {first}" in warehouse.stdout
    assert f"store file: {hosts.store_url}/warehouse/builds/{first}.duckdb" in warehouse.stdout
    assert summary.returncode == 0, summary.stderr[-3000:]
    assert hosts.facts["run_id"] in summary.stdout
    assert "Japan" in summary.stdout and "United States" in summary.stdout


def test_stray_and_truncated_files_in_the_store_are_set_aside_and_their_run_quarantined(
    hosts: Hosts,
) -> None:
    second: BuildOutcome = hosts.facts["second"]
    run_id = hosts.facts["run_id"]
    assert second.published is not None
    assert sorted(line.split(":", 1)[0] for line in second.set_aside) == [
        f"raw/responses/run_id={TRUNCATED_RUN}/part-1.parquet",
        "raw/responses/stray/copy.parquet",
    ]
    with connect_warehouse(hosts.host("reader")) as connection:  # the reader downloads the new build
        runs = dict(connection.execute("select run_id, status from marts.runs").fetchall())
        reason = connection.execute(
            "select status_reason from marts.runs where run_id = ?", [TRUNCATED_RUN]
        ).fetchone()[0]
        scored = connection.execute("select distinct run_id from marts.vsm_country_scores").fetchall()
        aside = dict(
            connection.execute(
                "select file_key, problem from raw_manifest.files where status = 'set_aside'"
            ).fetchall()
        )
    assert runs == {run_id: "complete", TRUNCATED_RUN: "quarantined"}
    assert "not a readable Parquet file (truncated or corrupt)" in reason
    assert f"raw/responses/run_id={TRUNCATED_RUN}/part-1.parquet" in reason
    assert scored == [(run_id,)]
    assert aside["raw/responses/stray/copy.parquet"] == "folder 'stray' is not run_id=<run>"
    assert published(hosts.host("reader")).build_id == second.build_id


# ---------------------------------------------------------------- the Store on S3


def test_an_absent_folder_lists_nothing_and_an_absent_object_reads_as_none(s3_store_url: str) -> None:
    store = Store(s3_store_url)
    assert store.list_files("raw/responses") == []
    assert store.get_bytes("warehouse/published.json") is None
    assert not store.exists("warehouse/published.json")
    store.delete("raw/responses/run_id=nothing/part-0.parquet")  # absent: not an error


def test_put_get_list_and_delete_round_trip(s3_store_url: str) -> None:
    store = Store(s3_store_url)
    before = datetime.now(UTC) - timedelta(seconds=5)
    store.put_bytes("quality/plans/run-1.json", b'{"run_id": "run-1"}')
    written = store.write_parquet(
        "raw/responses/run_id=run-1",
        pa.Table.from_pylist(questionnaire("run-1", "US", "en"), RAW_RESPONSE_SCHEMA),
    )
    assert store.get_bytes("quality/plans/run-1.json") == b'{"run_id": "run-1"}'
    [file] = store.list_files("raw/responses", ".parquet")
    assert file.path == written and file.size > 0
    assert file.modified is not None and file.modified.tzinfo is not None
    assert before <= file.modified <= datetime.now(UTC) + timedelta(seconds=5)  # UTC, not local time
    assert store.uri(file.path) == f"{s3_store_url}/{written}"
    assert store.relative(store.uri(file.path)) == written
    assert store.read_parquet([written], RAW_RESPONSE_SCHEMA, ["item_id"]).num_rows == 24
    with store.duckdb() as connection:  # DuckDB reads the same object through httpfs
        assert connection.execute(f"select count(*) from {store.read_parquet_sql([file])}").fetchone() == (
            24,
        )
    store.delete(written)
    assert store.list_files("raw/responses") == []


def test_the_pointer_is_replaced_atomically_while_readers_poll_it(s3_store_url: str) -> None:
    store = Store(s3_store_url)
    # sizes go up and down: a read that mixes two versions is cut short or too long
    versions = [
        json.dumps({"build_id": f"build-{n}", "padding": "x" * (200_000 + 997 * (n % 3))}).encode()
        for n in range(12)
    ]
    store.put_bytes(POINTER, versions[0])
    seen: list[bytes | None] = []
    done = threading.Event()

    def poll() -> None:
        reader = Store(s3_store_url)
        while not done.is_set():
            seen.append(reader.get_bytes(POINTER))

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        for version in versions[1:]:
            reads = len(seen)
            store.put_bytes(POINTER, version)
            deadline = time.monotonic() + 10
            while len(seen) <= reads + 1 and time.monotonic() < deadline:  # reads go on meanwhile
                time.sleep(0.01)
    finally:
        done.set()
        thread.join(30)
    assert len(set(seen)) >= len(versions) // 2  # the reads overlapped the replacements
    assert set(seen) <= set(versions)  # every read is one whole version: never absent, never half
    assert store.get_bytes(POINTER) == versions[-1]


def test_a_store_url_with_credentials_is_refused_without_naming_them() -> None:
    for url in (
        "s3://AKIAEXAMPLE:hunter2secret@culturewatch/prod",
        "s3://culturewatch/prod?secret=hunter2secret",
    ):
        with pytest.raises(CulturewatchError) as raised:
            Store(url)
        message = str(raised.value)
        assert "put S3 credentials in AWS_ACCESS_KEY_ID" in message
        assert "\n" not in message and "hunter2secret" not in message and "AKIAEXAMPLE" not in message


def test_ensure_creates_the_bucket_of_a_new_store(object_store: SeaweedFS, s3_store_url: str) -> None:
    bucket = unique_name("bucket").replace("_", "-")
    store = Store(f"s3://{bucket}/culturewatch").ensure()
    store.put_bytes("probe.txt", b"1")
    assert store.get_bytes("probe.txt") == b"1"
