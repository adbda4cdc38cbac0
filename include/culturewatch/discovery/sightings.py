"""The versions table: every sighting of a model version, append-only Parquet under raw/versions/."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_table, write_batch
from culturewatch.storage.schema import VERSION_SIGHTING_SCHEMA


def versions_dir(paths: DataPaths) -> Path:
    return paths.root / "raw" / "versions"


def record_sightings(paths: DataPaths, rows: list[Mapping[str, object]], sighted_at: datetime) -> Path | None:
    """One file per poll, in the folder of its UTC day (the dbt source reads raw/versions/*/*)."""
    if not rows:
        return None
    return write_batch(versions_dir(paths) / f"day={sighted_at:%Y-%m-%d}", rows, VERSION_SIGHTING_SCHEMA)


def read_sightings(paths: DataPaths) -> pa.Table:
    folders = sorted(versions_dir(paths).glob("day=*")) if versions_dir(paths).is_dir() else []
    tables = [read_table(folder, VERSION_SIGHTING_SCHEMA) for folder in folders]
    return pa.concat_tables(tables) if tables else VERSION_SIGHTING_SCHEMA.empty_table()
