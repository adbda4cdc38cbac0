"""Compaction (issue 14 item 5): a complete run becomes one Parquet file per run and table, the
marts do not change, and a compaction cut short between writing and deleting counts nothing twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from culturewatch.cli import main
from culturewatch.settings import DataPaths
from culturewatch.storage.claims import WHOLE_RUN, Claims
from culturewatch.storage.compaction import compact_run
from culturewatch.storage.parquet import COMPACTED_PREFIX, parquet_files, read_table
from culturewatch.storage.warehouse import connect_warehouse
from culturewatch.transform.warehouse_build import build_marts
from tests.fake_openai_server import FakeOpenAIServer

pytestmark = pytest.mark.long(64)  # seconds, measured on 2 cores: handed out first


def _probe(paths: DataPaths, tmp_path: Path) -> str:
    config = tmp_path / "config.yaml"
    with FakeOpenAIServer() as server:
        config.write_text(
            f"models:\n  - name: fake-model\n    base_url: {server.base_url}\n    version: v1\n"
            "grid:\n  settings: [english, aligned]\n  countries: [US, JP]\n"
            "client: {batch_size: 5}\n"
        )
        from culturewatch.probing.orchestrate import plan_probe
        from culturewatch.probing.runner import run_probe

        specs = plan_probe(config)
        for spec in specs:
            run_probe(spec, paths)
    return specs[0].run_id


def _marts(paths: DataPaths) -> dict[str, list[tuple]]:
    with connect_warehouse(paths) as connection:
        return {
            mart: connection.execute(
                f"select * exclude (run_source_files) from marts.{mart} order by all"
            ).fetchall()
            for mart in ("vsm_country_scores", "deviation_ratio")
        } | {
            "runs": connection.execute(
                "select run_id, status, cells_planned, rows_on_disk, n_parse_ok, n_events from marts.runs"
            ).fetchall()
        }


def test_a_complete_run_is_one_file_per_table_and_the_marts_do_not_change(
    paths: DataPaths, tmp_path: Path
) -> None:
    run_id = _probe(paths, tmp_path)
    batches = paths.run_dir(run_id).files()
    events = paths.run_folder("runs", run_id).files()
    assert len(batches) > 10 and len(events) >= 4  # 24-answer batches of 5, one file per event
    build_marts(paths)
    before = _marts(paths)

    written = compact_run(paths, run_id)
    assert written["responses"] and written["runs"]
    for folder in (paths.run_dir(run_id), paths.run_folder("runs", run_id)):
        [only] = folder.files()
        assert only.name.startswith(COMPACTED_PREFIX)
    assert read_table(paths.run_dir(run_id)).num_rows == 2 * 2 * 24 - 24  # US en twice is one pass

    build_marts(paths)
    assert _marts(paths) == before
    assert compact_run(paths, run_id) == {
        "responses": None,
        "judgements": None,
        "runs": None,
        "verdicts": None,
    }


def test_a_compaction_cut_short_counts_nothing_twice(paths: DataPaths, tmp_path: Path) -> None:
    run_id = _probe(paths, tmp_path)
    folder = paths.run_dir(run_id)
    kept = tmp_path / "kept"
    kept.mkdir()
    for file in folder.files():
        shutil.copy(paths.store.fs_path(file.path), kept / file.name)
    rows = read_table(folder).num_rows
    compact_run(paths, run_id)
    for copy in kept.iterdir():  # as if the compactor died after writing, before deleting
        shutil.copy(copy, Path(paths.store.fs_path(folder.path)) / copy.name)
    assert len(folder.files()) == len(list(kept.iterdir())) + 1
    assert [file.name for file in parquet_files(folder)] == [
        file.name for file in folder.files() if file.name.startswith(COMPACTED_PREFIX)
    ]
    assert read_table(folder).num_rows == rows
    build_marts(paths)
    with connect_warehouse(paths) as connection:
        assert connection.execute("select rows_on_disk from marts.runs").fetchall() == [(rows,)]
        replaced = connection.execute(
            "select count(*) from raw_manifest.files where status = 'replaced' and table_name = 'responses'"
        ).fetchone()
    assert replaced == (len(list(kept.iterdir())),)
    compact_run(paths, run_id)  # the next compaction deletes what the cut-short one left
    assert len(folder.files()) == 1


def test_a_run_a_probe_holds_is_not_compacted(paths: DataPaths, tmp_path: Path) -> None:
    run_id = _probe(paths, tmp_path)
    before = [file.path for file in paths.run_dir(run_id).files()]
    with Claims(paths.state_db).claim(run_id, "ja"):
        assert main(["compact", "--run-id", run_id]) == 0  # skipped, not an error
    assert [file.path for file in paths.run_dir(run_id).files()] == before
    with Claims(paths.state_db).claim(run_id, WHOLE_RUN):
        pass
    assert main(["compact"]) == 0  # every complete run
    assert len(paths.run_dir(run_id).files()) == 1


@pytest.mark.parametrize("command", [["compact", "--run-id", "../../etc"]])
def test_a_run_id_that_is_a_path_is_refused(paths: DataPaths, command: list[str], capsys) -> None:
    assert main(command) == 2
    assert "run id '../../etc' is not a run id" in capsys.readouterr().err


def test_a_compacted_folder_resolves_without_opening_its_file(paths: DataPaths) -> None:
    # one request less per run folder and build on S3: the footer is read only when batches sit
    # beside the compacted file (here the files are not even Parquet: opening one would fail)
    folder = paths.run_dir("run-1")
    paths.store.put_bytes(f"{folder.path}/{COMPACTED_PREFIX}000001-new.parquet", b"not opened")
    paths.store.put_bytes(f"{folder.path}/{COMPACTED_PREFIX}000000-old.parquet", b"left by a cut-short run")
    assert [file.name for file in parquet_files(folder)] == [f"{COMPACTED_PREFIX}000001-new.parquet"]
