"""The build reads only what a probe wrote (issue 14 item 4).

One store holds two sound runs and, beside them, every kind of bad file: a copy of a part file in
a stray folder and nested one level too deep, a file whose rows carry another run's id, a
truncated file, a zero-byte file, a file with a column of the wrong type, one missing a required
column, and rows duplicated inside one run. One write–audit–publish build must set each bad file
aside (its run quarantined with a reason naming the file and what is wrong), read none of it, and
publish the sound runs with exactly their own rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from culturewatch.settings import DataPaths, data_paths
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA
from culturewatch.storage.warehouse import connect_warehouse, published
from culturewatch.transform.warehouse_build import build_marts
from tests.dbt.raw_fixture import questionnaire, write_parquet, write_responses

GOOD = ("run-good-a", "run-good-b")
BAD = {
    "run-foreign": "rows carry run_id run-elsewhere, not the folder's run-foreign",
    "run-truncated": "not a readable Parquet file (truncated or corrupt)",
    "run-empty": "empty file (0 bytes)",
    "run-wrong-type": "column 'answer' is string, the contract says double",
    "run-missing-column": "required column 'item_id' is missing",
}


def _rows(run_id: str, country: str = "US", language: str = "en") -> list[dict[str, object]]:
    return questionnaire(run_id, country, language, answers={"m01": 5, "m04": 1})


def _write_store(data_dir: Path) -> None:
    for run_id in GOOD:
        write_responses(data_dir, run_id, "part-0.parquet", _rows(run_id))
    responses = data_dir / "raw" / "responses"
    good_file = responses / f"run_id={GOOD[0]}" / "part-0.parquet"
    # a copy of a part file in a stray folder, and one nested a level too deep in a run's folder
    (responses / "stray").mkdir()
    shutil.copy(good_file, responses / "stray" / "part-0.parquet")
    (responses / f"run_id={GOOD[1]}" / "backup").mkdir()
    shutil.copy(good_file, responses / f"run_id={GOOD[1]}" / "backup" / "part-0.parquet")
    # rows of another run under this run's folder
    write_responses(data_dir, "run-foreign", "part-0.parquet", _rows("run-elsewhere"))
    # a sound batch and a truncated one; a sound batch and a zero-byte one
    for run_id in ("run-truncated", "run-empty"):
        write_responses(data_dir, run_id, "part-0.parquet", _rows(run_id)[:12])
    sound = (responses / "run_id=run-truncated" / "part-0.parquet").read_bytes()
    write_responses(data_dir, "run-truncated", "part-1.parquet", _rows("run-truncated")[12:])
    cut = responses / "run_id=run-truncated" / "part-1.parquet"
    cut.write_bytes(cut.read_bytes()[: len(sound) // 2])
    (responses / "run_id=run-empty" / "part-1.parquet").write_bytes(b"")
    # a column of another type, a required column missing
    wrong = pa.Table.from_pylist(_rows("run-wrong-type"), schema=RAW_RESPONSE_SCHEMA)
    wrong = wrong.set_column(
        wrong.schema.get_field_index("answer"), "answer", wrong.column("answer").cast(pa.string())
    )
    folder = responses / "run_id=run-wrong-type"
    folder.mkdir()
    pq.write_table(wrong, folder / "part-0.parquet")
    missing = pa.Table.from_pylist(_rows("run-missing-column"), schema=RAW_RESPONSE_SCHEMA).drop(["item_id"])
    folder = responses / "run_id=run-missing-column"
    folder.mkdir()
    pq.write_table(missing, folder / "part-0.parquet")
    # every row twice inside one run's folder (a botched restore): a row problem, not a file problem
    write_responses(data_dir, "run-duplicated", "part-0.parquet", _rows("run-duplicated"))
    write_parquet(
        responses / "run_id=run-duplicated", "part-copy.parquet", _rows("run-duplicated"), RAW_RESPONSE_SCHEMA
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    data_dir = tmp_path_factory.mktemp("store")
    _write_store(data_dir)
    paths = data_paths(data_dir)
    outcome = build_marts(paths)
    assert outcome.published is not None
    return paths


def _query(paths: DataPaths, sql: str) -> list[tuple]:
    with connect_warehouse(paths) as connection:
        return connection.execute(sql).fetchall()


def test_sound_runs_publish_with_exactly_their_own_rows(built: DataPaths) -> None:
    runs = dict(
        _query(
            built, "select run_id, rows_on_disk from marts.runs where status is distinct from 'quarantined'"
        )
    )
    assert runs == {GOOD[0]: 24, GOOD[1]: 24}  # no stray or nested copy was read
    scores = _query(built, "select run_id, count(*) from marts.vsm_country_scores group by 1 order by 1")
    assert scores == [(GOOD[0], 1), (GOOD[1], 1)]


def test_each_bad_file_quarantines_its_run_naming_the_file_and_the_problem(built: DataPaths) -> None:
    reasons = dict(_query(built, "select run_id, status_reason from marts.runs where status = 'quarantined'"))
    assert "run-elsewhere" not in reasons  # the foreign rows are not read at all
    for run_id, problem in BAD.items():
        assert problem in reasons[run_id], (run_id, reasons[run_id])
        assert f"raw/responses/run_id={run_id}/part-" in reasons[run_id]
    assert "24 responses with a duplicated key" in reasons["run-duplicated"]
    quarantined = _query(built, "select distinct run_id from marts.vsm_country_scores")
    assert {row[0] for row in quarantined} == set(GOOD)


def test_stray_files_are_set_aside_and_listed_in_the_published_manifest(built: DataPaths) -> None:
    aside = dict(
        _query(
            built, "select file_key, problem from raw_manifest.files where status = 'set_aside' order by 1"
        )
    )
    assert "raw/responses/stray/part-0.parquet" in aside
    assert f"raw/responses/run_id={GOOD[1]}/backup/part-0.parquet" in aside
    assert aside["raw/responses/stray/part-0.parquet"] == "folder 'stray' is not run_id=<run>"
    nested = aside[f"raw/responses/run_id={GOOD[1]}/backup/part-0.parquet"]
    assert nested.startswith("not where a writer puts files")
    assert published(built).set_aside_files == len(aside) == 2 + len(BAD)


def test_a_stray_file_in_a_sound_runs_folder_does_not_quarantine_it(built: DataPaths) -> None:
    # the nested copy lies under run-good-b's folder but is not one of its files: set aside, and the
    # run (whose own files are sound) publishes
    status = _query(built, f"select status from marts.runs where run_id = '{GOOD[1]}'")
    assert status == [("complete",)] or status == [(None,)]
