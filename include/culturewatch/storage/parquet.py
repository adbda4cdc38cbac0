"""Append-only Parquet: each completed batch is written once, atomically, as its own file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from culturewatch.storage.schema import RAW_RESPONSE_KEY, RAW_RESPONSE_SCHEMA

CellKey = tuple[object, ...]


def write_batch(directory: Path, rows: list[Mapping[str, object]], schema: pa.Schema) -> Path:
    """Write `rows` as one new Parquet file in `directory` (temp file + rename: never half-written)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = directory / f"part-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
    temporary = target.with_suffix(".parquet.tmp")
    table = pa.Table.from_pylist(list(rows), schema=schema)
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, target)
    return target


def parquet_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.parquet")) if directory.is_dir() else []


def read_keys(directory: Path, key: Iterable[str] = RAW_RESPONSE_KEY) -> set[CellKey]:
    """The keys of every row already written under `directory` (what a resume must not ask again)."""
    files = parquet_files(directory)
    if not files:
        return set()
    columns = list(key)
    table = ds.dataset(files, schema=RAW_RESPONSE_SCHEMA, format="parquet").to_table(columns=columns)
    return set(zip(*(table.column(name).to_pylist() for name in columns), strict=True))


def read_table(directory: Path, schema: pa.Schema = RAW_RESPONSE_SCHEMA) -> pa.Table:
    files = parquet_files(directory)
    if not files:
        return schema.empty_table()
    return ds.dataset(files, schema=schema, format="parquet").to_table()
