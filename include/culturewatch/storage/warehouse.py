"""Open the DuckDB warehouse for reading."""

from __future__ import annotations

import duckdb

from culturewatch.settings import DataPaths


def connect_warehouse(paths: DataPaths) -> duckdb.DuckDBPyConnection:
    """A read-only connection; inside a process that already holds the warehouse open for writing
    (dbt-duckdb run in-process by an Airflow task), DuckDB allows only that same configuration."""
    try:
        return duckdb.connect(str(paths.warehouse), read_only=True)
    except duckdb.ConnectionException:
        return duckdb.connect(str(paths.warehouse))
