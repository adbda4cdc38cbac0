"""Cheap progress counts from Parquet footers (no data read)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq


def rows_on_disk(directory: Path) -> int:
    """Rows in every Parquet file under `directory` (written files only: temp files end in .tmp)."""
    return sum(pq.ParquetFile(path).metadata.num_rows for path in directory.rglob("*.parquet"))
