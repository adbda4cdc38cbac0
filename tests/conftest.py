"""Shared fixtures: a temporary data dir per test, and the real local model server (session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from culturewatch.settings import DATA_DIR_ENV, DataPaths, data_paths


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataPaths]:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    yield data_paths(tmp_path / "data")


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """The dbt manifest the transform DAG renders from (`make setup` makes it): made here when it
    is missing or older than the dbt project, so a DAG parse in any test sees the current project."""
    from culturewatch.errors import CulturewatchError
    from culturewatch.transform.dbt_manifest import checked_manifest, write_manifest

    try:
        return checked_manifest()
    except CulturewatchError:
        return write_manifest()
