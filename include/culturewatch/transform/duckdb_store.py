"""dbt-duckdb plugin: lets dbt's DuckDB connection read the shared store (culturewatch.storage.store).

For an `s3://` store it loads httpfs from the PyPI package's extension directory (no network) and
creates the S3 secret from the standard AWS environment; for a local store it does nothing.
Named in dbt_project/profiles.yml (`plugins: - module: culturewatch.transform.duckdb_store`).
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from culturewatch.settings import data_paths


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        data_paths().store.configure_duckdb(conn)
