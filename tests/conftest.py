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
