"""The versions table: every sighting of a model version, append-only Parquet under raw/versions/."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pyarrow as pa

from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import table_files, write_batch
from culturewatch.storage.schema import VERSION_SIGHTING_SCHEMA


def record_sightings(paths: DataPaths, rows: list[Mapping[str, object]], sighted_at: datetime) -> str | None:
    """One file per poll, in the folder of its UTC day (the dbt source reads raw/versions/*/*)."""
    if not rows:
        return None
    return write_batch(paths.raw_versions / f"day={sighted_at:%Y-%m-%d}", rows, VERSION_SIGHTING_SCHEMA)


def read_sightings(paths: DataPaths) -> pa.Table:
    files = table_files(paths.raw_versions)
    return paths.store.read_parquet([file.path for file in files], VERSION_SIGHTING_SCHEMA)
