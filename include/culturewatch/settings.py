"""Where culturewatch keeps its files: a local data directory per host, and one shared store.

- `CULTUREWATCH_DATA_DIR` (default ./data): this host's own files — the response cache, dbt's
  target and logs, the builder's working copy of the warehouse, downloaded published builds,
  logs, the Airflow home of the embedded default. Never shared between hosts.
- `CULTUREWATCH_STORE` (default: the data dir itself): what every worker shares — raw answers,
  data-quality verdicts and plans, the alert ledger, the published warehouse builds. A local
  path (one machine) or `s3://bucket/prefix` (several hosts; see culturewatch.storage.store).
- `CULTUREWATCH_STATE_DB`: the SQL database of the run claims (culturewatch.storage.claims);
  default a SQLite file in the data dir, which only processes of one host can share.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from culturewatch.identifiers import check_run_id
from culturewatch.storage.store import Folder, Store

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DATA_DIR_ENV = "CULTUREWATCH_DATA_DIR"
STORE_ENV = "CULTUREWATCH_STORE"
STATE_DB_ENV = "CULTUREWATCH_STATE_DB"
MODELS_DIR_ENV = "CULTUREWATCH_MODELS_DIR"

# The raw tables (folders under raw/ of the store) that hold one folder per run.
RAW_RUN_TABLES = ("responses", "runs", "judgements")


@dataclass(frozen=True)
class DataPaths:
    """This host's data dir and the shared store (the project's public interface: README, docs/)."""

    root: Path
    store_url: str | None = None
    state_db_url: str | None = None

    @cached_property
    def store(self) -> Store:
        return Store(self.store_url or self.root)

    @property
    def state_db(self) -> str:
        """SQLAlchemy URL of the claims database: CULTUREWATCH_STATE_DB, else SQLite in the data dir."""
        return self.state_db_url or f"sqlite:///{self.root / 'state' / 'claims.sqlite'}"

    # ------------------------------------------------------------ shared (the store)

    @property
    def raw_responses(self) -> Folder:
        return Folder(self.store, "raw/responses")

    @property
    def raw_runs(self) -> Folder:
        return Folder(self.store, "raw/runs")

    @property
    def raw_judgements(self) -> Folder:
        return Folder(self.store, "raw/judgements")

    @property
    def raw_versions(self) -> Folder:
        return Folder(self.store, "raw/versions")

    @property
    def verdicts(self) -> Folder:
        return Folder(self.store, "quality/verdicts")

    @property
    def plans(self) -> Folder:
        return Folder(self.store, "quality/plans")

    @property
    def alert_ledger(self) -> Folder:
        return Folder(self.store, "alerts/ledger")

    @property
    def alert_state(self) -> Folder:
        return Folder(self.store, "alerts/state")

    def run_dir(self, run_id: str) -> Folder:
        """One run's raw answers: raw/responses/run_id=<run> (the run id is checked: ids are never paths)."""
        return self.run_folder("responses", run_id)

    def run_folder(self, table: str, run_id: str) -> Folder:
        if table not in RAW_RUN_TABLES:
            raise ValueError(f"unknown raw table {table!r}")
        return Folder(self.store, f"raw/{table}/run_id={check_run_id(run_id)}")

    def verdict_folder(self, run_id: str) -> Folder:
        return self.verdicts / f"run_id={check_run_id(run_id)}"

    # ------------------------------------------------------------ this host's own files

    @property
    def cache_db(self) -> Path:
        return self.root / "cache" / "responses.sqlite"

    @property
    def warehouse(self) -> Path:
        """The published warehouse as a local file for read-only clients: a symlink that the
        publisher (or culturewatch.storage.warehouse, for a remote store) swaps atomically."""
        return self.root / "warehouse.duckdb"

    @property
    def builds(self) -> Path:
        """The builder's own files: its working copy of the warehouse and each build's candidate."""
        return self.root / "build"

    @property
    def models(self) -> Path:
        """Assembled GGUF files: $CULTUREWATCH_MODELS_DIR (shared between data dirs) or <root>/models."""
        shared = os.environ.get(MODELS_DIR_ENV)
        return Path(shared).expanduser().resolve() if shared else self.root / "models"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def quality_local(self) -> Path:
        """Data Docs sites (this host's; the verdicts carry their links)."""
        return self.root / "quality"


def data_paths(root: str | os.PathLike[str] | None = None) -> DataPaths:
    """The data paths for `root`, else $CULTUREWATCH_DATA_DIR, else ./data; the store and state
    database from $CULTUREWATCH_STORE and $CULTUREWATCH_STATE_DB (default: inside the data dir)."""
    chosen = root if root is not None else os.environ.get(DATA_DIR_ENV, "data")
    return DataPaths(
        Path(chosen).expanduser().resolve(),
        os.environ.get(STORE_ENV) or None,
        os.environ.get(STATE_DB_ENV) or None,
    )
