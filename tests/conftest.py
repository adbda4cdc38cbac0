"""Shared fixtures: a temporary data dir per test, and the real local model server (session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from culturewatch.settings import DATA_DIR_ENV, DataPaths, data_paths
from tests.module_order import best_order


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataPaths]:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    yield data_paths(tmp_path / "data")


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """The dbt manifest the transform DAG renders from (`make setup` makes it): made here when it
    is missing or older than the dbt project, so a DAG parse in any test sees the current project.
    Parallel workers each ask; the first writes it, the others wait and find it current."""
    from culturewatch.transform.dbt_manifest import current_manifest

    return current_manifest()


@pytest.hookimpl(trylast=True)  # after -m has deselected: only the modules that run are ordered
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules marked `long(seconds)` first, in the order that ends soonest (tests/module_order.py),
    the order otherwise kept: pytest-xdist hands modules out in this order
    (`--no-loadscope-reorder`), and a long module handed out last runs alone while the other
    worker waits."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(str(item.path), []).append(item)
    timed = {
        name: [expected_seconds(tests[0]) / len(tests)] * len(tests)
        for name, tests in modules.items()
        if expected_seconds(tests[0])
    }
    workers = int(getattr(config, "workerinput", {}).get("workercount", 2))
    rank = {name: position for position, name in enumerate(best_order(timed, workers))}
    items.sort(key=lambda item: rank.get(str(item.path), len(rank)))


def expected_seconds(item: pytest.Item) -> float:
    """A `long` module's measured time (0 for the rest); the marker without it is an error."""
    marker = item.get_closest_marker("long")
    if marker is None:
        return 0.0
    if len(marker.args) != 1 or not isinstance(marker.args[0], int | float) or marker.args[0] <= 0:
        raise pytest.UsageError(f"{item.nodeid}: mark a long module with its measured seconds, long(300)")
    return float(marker.args[0])
