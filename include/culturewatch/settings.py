"""Where culturewatch keeps its files: one data directory, chosen by CULTUREWATCH_DATA_DIR."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DATA_DIR_ENV = "CULTUREWATCH_DATA_DIR"
MODELS_DIR_ENV = "CULTUREWATCH_MODELS_DIR"


@dataclass(frozen=True)
class DataPaths:
    """Every file location under one data directory (the public interface of DESIGN.md)."""

    root: Path

    @property
    def raw_responses(self) -> Path:
        return self.root / "raw" / "responses"

    @property
    def raw_runs(self) -> Path:
        return self.root / "raw" / "runs"

    @property
    def raw_run_status(self) -> Path:
        return self.root / "raw" / "run_status"

    @property
    def raw_judgements(self) -> Path:
        return self.root / "raw" / "judgements"

    @property
    def cache_db(self) -> Path:
        return self.root / "cache" / "responses.sqlite"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def models(self) -> Path:
        """Assembled GGUF files: $CULTUREWATCH_MODELS_DIR (shared between data dirs) or <root>/models."""
        shared = os.environ.get(MODELS_DIR_ENV)
        return Path(shared).expanduser().resolve() if shared else self.root / "models"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def run_dir(self, run_id: str) -> Path:
        return self.raw_responses / f"run_id={run_id}"


def data_paths(root: str | os.PathLike[str] | None = None) -> DataPaths:
    """The data paths for `root`, else $CULTUREWATCH_DATA_DIR, else ./data."""
    chosen = root if root is not None else os.environ.get(DATA_DIR_ENV, "data")
    return DataPaths(Path(chosen).expanduser().resolve())
