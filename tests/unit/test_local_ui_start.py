"""`culturewatch ui` starts the scheduler only once the API server answers: the scheduler's tasks
report to the execution API from their first second, and a run queued at once (the transform of
an asset event that `culturewatch demo` left in the home) failed with "Connection refused"
(seen in CI, 2026-12-07). The components here are stand-ins that record the order; the real
start is tests/stack/test_local_ui.py's."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from culturewatch import local_ui
from culturewatch.service_processes import free_port
from culturewatch.settings import DataPaths


def test_the_scheduler_starts_only_once_the_api_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    running_when_the_api_answered: list[list[str]] = []

    def spawn(name: str, *args: object) -> SimpleNamespace:
        started.append(name)
        return SimpleNamespace(name=name)

    def healthy(ui: local_ui.LocalUI) -> bool:
        running_when_the_api_answered.append(list(started))
        return True

    monkeypatch.setattr(local_ui, "init_airflow", lambda paths: None)
    monkeypatch.setattr(local_ui, "ensure_pools", lambda paths, config: {})
    monkeypatch.setattr(local_ui, "spawn", spawn)
    monkeypatch.setattr(local_ui.LocalUI, "_healthy", healthy)
    monkeypatch.setattr(local_ui.LocalUI, "_dags_parsed", lambda ui: True)
    monkeypatch.setattr(local_ui.LocalUI, "unpause", lambda ui: [])

    local_ui.LocalUI(DataPaths(tmp_path / "data"), port=free_port()).start()
    assert running_when_the_api_answered == [["api-server", "dag-processor"]]
    assert started == ["api-server", "dag-processor", "scheduler", "triggerer"]
