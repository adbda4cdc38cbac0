"""Cheap progress counts from Parquet footers (no data read)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from culturewatch.storage.parquet import parquet_files


def rows_on_disk(directory: Path) -> int:
    """Rows in every Parquet file under `directory`'s immediate subdirectories and itself."""
    files = (
        parquet_files(directory)
        + [path for sub in sorted(directory.glob("*/")) for path in parquet_files(sub)]
        if directory.is_dir()
        else []
    )
    return sum(pq.ParquetFile(path).metadata.num_rows for path in files)
