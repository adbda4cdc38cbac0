"""Append-only Parquet in a store folder: batches written once, then compacted to one file.

A writer adds each completed batch as its own file (`part-*.parquet`, atomic). Compaction
(`compact`) later rewrites a finished run's batches as one file, `compacted-<generation>-*.parquet`,
whose footer lists the files it replaces (key-value metadata `culturewatch.replaces`), and then
deletes them. Until they are deleted, both exist: every reader resolves a folder through
`parquet_files`, which keeps the newest compacted file, drops what it replaces, and keeps any batch
written after it. So a reader never counts a row twice, whatever moment it lists the folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from culturewatch.storage.schema import RAW_RESPONSE_KEY, RAW_RESPONSE_SCHEMA
from culturewatch.storage.store import Folder, Store, StoredFile

CellKey = tuple[object, ...]
COMPACTED_PREFIX = "compacted-"
REPLACES_KEY = b"culturewatch.replaces"


def write_batch(folder: Folder, rows: list[Mapping[str, object]], schema: pa.Schema) -> str:
    """Write `rows` as one new Parquet file in `folder` (never half-written); its store path."""
    return folder.store.write_parquet(folder.path, pa.Table.from_pylist(list(rows), schema=schema))


def _generation(file: StoredFile) -> int:
    try:
        return int(file.name.removeprefix(COMPACTED_PREFIX).split("-", 1)[0])
    except ValueError:
        return -1


def replaced_names(store: Store, compacted: StoredFile) -> set[str]:
    """The file names a compacted file replaces (from its footer)."""
    with store.fs.open_input_file(store.fs_path(compacted.path)) as source:
        metadata = pq.read_metadata(source).metadata or {}
    return set(json.loads(metadata.get(REPLACES_KEY, b"[]")))


def resolve(store: Store, files: Sequence[StoredFile]) -> list[StoredFile]:
    """The files of one folder a reader must read: the newest compacted file, and every file it
    does not replace (batches written after it); older compacted files and replaced batches go."""
    compacted = [file for file in files if file.name.startswith(COMPACTED_PREFIX)]
    if not compacted:
        return list(files)
    newest = max(compacted, key=lambda file: (_generation(file), file.name))
    batches = [file for file in files if not file.name.startswith(COMPACTED_PREFIX)]
    if not batches:  # a compacted run: nothing for the footer to decide, so it is not read
        return [newest]
    gone = replaced_names(store, newest)
    return [file for file in files if file == newest or (file in batches and file.name not in gone)]


def parquet_files(folder: Folder) -> list[StoredFile]:
    """The Parquet files of `folder` a reader must read (compaction resolved), by path."""
    return resolve(folder.store, folder.files(".parquet"))


def table_files(folder: Folder) -> list[StoredFile]:
    """The files to read of every run folder under a raw table's folder (each resolved), by path."""
    by_folder: dict[str, list[StoredFile]] = {}
    for file in folder.files(".parquet"):
        by_folder.setdefault(file.path.rsplit("/", 1)[0], []).append(file)
    return [file for files in by_folder.values() for file in resolve(folder.store, files)]


def read_table(folder: Folder, schema: pa.Schema = RAW_RESPONSE_SCHEMA, columns: Sequence[str] | None = None):
    """Every row of `folder` (compaction resolved), read with `schema`."""
    return folder.store.read_parquet([file.path for file in parquet_files(folder)], schema, columns)


def read_keys(folder: Folder, key: Iterable[str] = RAW_RESPONSE_KEY) -> set[CellKey]:
    """The keys of every row already written under `folder` (what a resume must not ask again)."""
    columns = list(key)
    table = read_table(folder, RAW_RESPONSE_SCHEMA, columns)
    return set(zip(*(table.column(name).to_pylist() for name in columns), strict=True))


def write_compacted(folder: Folder, table: pa.Table, replaces: Sequence[str], generation: int = 0) -> str:
    """Write `table` as the folder's compacted file of `generation`, its footer listing the file
    names it `replaces`; its store path."""
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), REPLACES_KEY: json.dumps(sorted(replaces))}
    )
    return folder.store.write_parquet(folder.path, table, prefix=f"{COMPACTED_PREFIX}{generation:06d}")


def compact(folder: Folder, schema: pa.Schema, sort_by: Sequence[str] = ()) -> str | None:
    """Rewrite the folder's files as one compacted file, then delete what it replaced.

    Returns the new file's store path, or None when the folder already is one file. Run it only
    while holding the run's compaction claim (culturewatch.storage.claims): no writer may add a
    batch meanwhile. A crash between writing and deleting leaves files that readers already
    ignore (`resolve`); the next compaction deletes them.
    """
    listed = folder.files(".parquet")
    current = resolve(folder.store, listed)
    leftovers = [file for file in listed if file not in current]
    if len(current) <= 1:
        for file in leftovers:
            folder.store.delete(file.path)
        return None
    table = folder.store.read_parquet([file.path for file in current], schema)
    if sort_by:
        table = table.sort_by([(column, "ascending") for column in sort_by])
    generation = max((_generation(file) for file in current), default=-1) + 1
    written = write_compacted(folder, table, [file.name for file in listed], generation)
    for file in listed:
        folder.store.delete(file.path)
    return written
