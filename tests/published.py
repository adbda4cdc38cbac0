"""Hand-made published warehouses for tests of the readers (alerts, reports, the view, the CLI).

`handmade_build(paths)` yields a read-write connection to a new warehouse file that starts as a
copy of the published one (so successive hand-made builds accumulate), and on leaving publishes
it with the library's own `storage.warehouse.publish` — the step a real build ends with — so the
readers under test open it exactly as they open a built warehouse.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import duckdb

from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import PublishedBuild, build_file, new_build_id, publish, published_file


@contextmanager
def handmade_build(paths: DataPaths) -> Iterator[duckdb.DuckDBPyConnection]:
    build_id = new_build_id()
    target = paths.builds / f"handmade-{build_id}.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _, current = published_file(paths)
        shutil.copyfile(current, target)
    except Exception:  # nothing published yet: start empty
        pass
    with duckdb.connect(str(target)) as connection:
        yield connection
    publish(
        paths,
        target,
        PublishedBuild(build_id, build_file(build_id), datetime.now(UTC).isoformat(timespec="seconds")),
    )
