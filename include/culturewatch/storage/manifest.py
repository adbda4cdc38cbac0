"""The raw manifest: which files of the store a warehouse build reads, and which it sets aside.

Before dbt runs, every raw folder of the store is listed and each file is checked once:

- its path is one a writer makes: `raw/<table>/run_id=<run>/<name>.parquet` for the run tables
  (responses, runs, judgements; verdicts under `quality/verdicts/`), `raw/versions/day=<date>/…`
  for sightings. Anything else (a stray folder, a copy nested deeper, a file that is not Parquet)
  is set aside, never read;
- it is a readable Parquet file with rows of the contract (storage.schema): not zero bytes, not
  truncated, every column it has of the contract's type, every required column present;
- the run id in its rows is the run id of its folder (read from the row-group statistics, or the
  column itself when they are missing).

A file that fails is set aside with one line saying what is wrong; when it lies in a run's folder
that run is quarantined with that line as its reason (dbt: int_run_quality_status), and every
other run publishes as usual. Files that compaction replaced are left out (`replaced`). The
manifest is written into the build's database (table `raw_manifest.files`), where the staging
models read their file lists from it and the published build keeps it as lineage. A file already
checked by the build this one starts from (same path and size) is not opened again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from culturewatch.errors import CulturewatchError
from culturewatch.identifiers import check_run_id
from culturewatch.storage.parquet import resolve
from culturewatch.storage.schema import (
    JUDGEMENT_SCHEMA,
    RAW_RESPONSE_SCHEMA,
    RUN_EVENT_SCHEMA,
    RUN_STATUS_SCHEMA,
    VERSION_SIGHTING_SCHEMA,
)
from culturewatch.storage.store import TEMP_SUFFIX, Store, StoredFile

OK = "ok"
SET_ASIDE = "set_aside"
REPLACED = "replaced"


@dataclass(frozen=True)
class RawTable:
    """One kind of raw file: its dbt name, the store folders it lives in, its contract."""

    name: str
    folders: tuple[str, ...]
    schema: pa.Schema
    partition: str  # `run_id` or `day`


RAW_TABLES = (
    RawTable("responses", ("raw/responses",), RAW_RESPONSE_SCHEMA, "run_id"),
    RawTable("runs", ("raw/runs",), RUN_EVENT_SCHEMA, "run_id"),
    RawTable("judgements", ("raw/judgements",), JUDGEMENT_SCHEMA, "run_id"),
    RawTable("run_status", ("quality/verdicts", "raw/run_status"), RUN_STATUS_SCHEMA, "run_id"),
    RawTable("versions", ("raw/versions",), VERSION_SIGHTING_SCHEMA, "day"),
)

MANIFEST_SCHEMA = pa.schema(
    [
        pa.field("table_name", pa.string(), nullable=False),
        pa.field("run_id", pa.string()),
        pa.field("file_key", pa.string(), nullable=False),  # path in the store
        pa.field("uri", pa.string(), nullable=False),  # what DuckDB reads
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("n_rows", pa.int64()),
        pa.field("status", pa.string(), nullable=False),  # ok | set_aside | replaced
        pa.field("problem", pa.string()),
    ]
)

_DAY = re.compile(r"day=\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class RawFile:
    table_name: str
    run_id: str | None
    file_key: str
    uri: str
    size_bytes: int
    n_rows: int | None
    status: str
    problem: str | None

    @property
    def line(self) -> str:
        """The one line a person reads: which file, and what is wrong with it."""
        return f"{self.file_key}: {self.problem}"


def _normalise(data_type: pa.DataType) -> pa.DataType:
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return pa.list_(_normalise(data_type.value_type))
    if pa.types.is_large_string(data_type):
        return pa.string()
    return data_type


def schema_problem(found: pa.Schema, contract: pa.Schema) -> str | None:
    """What breaks the contract in a file's schema: a column of another type, or a required
    (non-nullable) column missing. Extra columns, and nullable columns a writer predating them
    left out, are fine (they read as NULL)."""
    for field in contract:
        index = found.get_field_index(field.name)
        if index < 0:
            if not field.nullable:
                return f"required column {field.name!r} is missing"
            continue
        actual = found.field(index).type
        if _normalise(actual) != _normalise(field.type):
            return f"column {field.name!r} is {actual}, the contract says {field.type}"
    return None


def _run_ids(parquet: pq.ParquetFile) -> set[str | None]:
    """The run ids in a file's rows: from row-group statistics when every group has them."""
    metadata = parquet.metadata
    index = parquet.schema_arrow.get_field_index("run_id")
    found: set[str | None] = set()
    for group in range(metadata.num_row_groups):
        column = metadata.row_group(group).column(index)
        statistics = column.statistics
        if statistics is None or not statistics.has_min_max or statistics.null_count is None:
            return set(parquet.read(columns=["run_id"]).column("run_id").unique().to_pylist())
        if statistics.null_count:
            found.add(None)
        if statistics.min != statistics.max:
            return set(pc.unique(parquet.read(columns=["run_id"]).column("run_id")).to_pylist())
        found.add(statistics.min if isinstance(statistics.min, str) else statistics.min.decode())
    return found


def check_file(
    store: Store, table: RawTable, file: StoredFile, run_id: str | None
) -> tuple[int | None, str | None]:
    """(rows, None) for a good file, (None, what is wrong) for one to set aside."""
    if file.size == 0:
        return None, "empty file (0 bytes)"
    try:
        with store.fs.open_input_file(store.fs_path(file.path)) as source:
            parquet = pq.ParquetFile(source)
            problem = schema_problem(parquet.schema_arrow, table.schema)
            if problem:
                return None, problem
            if run_id is not None:
                found = _run_ids(parquet)
                if found != {run_id}:
                    others = sorted(str(value) for value in found if value != run_id)
                    return None, f"rows carry run_id {', '.join(others)}, not the folder's {run_id}"
            return parquet.metadata.num_rows, None
    except (OSError, pa.ArrowException) as exc:
        return None, f"not a readable Parquet file (truncated or corrupt): {str(exc).splitlines()[0][:200]}"


def _partition(table: RawTable, folder: str, file: StoredFile) -> tuple[str | None, str | None]:
    """(run id or None, problem or None) of a file's place under the table's folder."""
    parts = file.path[len(folder) + 1 :].split("/")
    if len(parts) != 2 or not parts[1].endswith(".parquet"):
        return None, "not where a writer puts files (expected " + (
            f"{folder}/run_id=<run>/<file>.parquet)"
            if table.partition == "run_id"
            else f"{folder}/day=<date>/<file>.parquet)"
        )
    if table.partition == "day":
        return None, None if _DAY.fullmatch(parts[0]) else f"folder {parts[0]!r} is not day=<YYYY-MM-DD>"
    if not parts[0].startswith("run_id="):
        return None, f"folder {parts[0]!r} is not run_id=<run>"
    run_id = parts[0].removeprefix("run_id=")
    try:
        return check_run_id(run_id), None
    except CulturewatchError:
        return None, f"folder {parts[0]!r} does not name a valid run id"


def scan(store: Store, known: Mapping[tuple[str, int], RawFile] | None = None) -> list[RawFile]:
    """Every file of every raw table in the store, checked (see the module docstring)."""
    known = known or {}
    manifest: list[RawFile] = []
    for table in RAW_TABLES:
        for folder in table.folders:
            listed = [file for file in store.list_files(folder) if not file.path.endswith(TEMP_SUFFIX)]
            by_folder: dict[str, list[StoredFile]] = {}
            for file in listed:
                run_id, problem = _partition(table, folder, file)
                if problem is not None:
                    manifest.append(_entry(store, table, file, run_id, None, SET_ASIDE, problem))
                else:
                    by_folder.setdefault(file.path.rsplit("/", 1)[0], []).append(file)
            for files in by_folder.values():
                run_id = _partition(table, folder, files[0])[0]
                readable = _resolved(store, files)
                for file in files:
                    if file not in readable:
                        manifest.append(_entry(store, table, file, run_id, None, REPLACED, None))
                        continue
                    before = known.get((file.path, file.size))
                    if before is not None and before.status == OK:
                        manifest.append(before)
                        continue
                    rows, problem = check_file(store, table, file, run_id)
                    status = OK if problem is None else SET_ASIDE
                    manifest.append(_entry(store, table, file, run_id, rows, status, problem))
    return manifest


def _resolved(store: Store, files: list[StoredFile]) -> list[StoredFile]:
    """Compaction resolved; a compacted file whose footer cannot be read resolves to everything
    (it is then set aside by its own check, and the batches it meant to replace stay readable)."""
    try:
        return resolve(store, files)
    except (OSError, pa.ArrowException, ValueError):
        return list(files)


def _entry(
    store: Store,
    table: RawTable,
    file: StoredFile,
    run_id: str | None,
    rows: int | None,
    status: str,
    problem: str | None,
) -> RawFile:
    return RawFile(table.name, run_id, file.path, store.uri(file.path), file.size, rows, status, problem)


def as_table(files: Iterable[RawFile]) -> pa.Table:
    return pa.Table.from_pylist([asdict(file) for file in files], schema=MANIFEST_SCHEMA)


def from_table(table: pa.Table) -> dict[tuple[str, int], RawFile]:
    """A previous build's manifest, keyed for `scan(known=...)`."""
    return {(row["file_key"], row["size_bytes"]): RawFile(**row) for row in table.to_pylist()}
