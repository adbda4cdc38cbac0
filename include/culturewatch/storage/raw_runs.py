"""Which runs the store holds raw files of: the check the commands that take a run id make first, and
the rule that picks a slice's latest lifecycle event."""

from __future__ import annotations

from culturewatch.errors import CulturewatchError
from culturewatch.settings import RAW_RUN_TABLES, DataPaths
from culturewatch.storage.parquet import parquet_files

LATEST_SLICE_EVENT = """row_number() over (
    partition by run_id, prompt_language
    order by recorded_at desc, (event = 'started') asc, source_file desc
) = 1"""
"""The `qualify` that keeps each slice's (run, prompt language) latest lifecycle event, a terminal
event winning a tie: the rule of marts.runs, for the readers that must see a run before any dbt
build (the probe's summary, the discovery)."""


def stored_run_ids(paths: DataPaths) -> list[str]:
    """The run ids the store has raw answer or lifecycle files of, sorted."""
    folders = {
        file.path.split("/")[2]
        for table in ("responses", "runs")
        for file in paths.store.list_files(f"raw/{table}", ".parquet")
    }
    return sorted(folder.removeprefix("run_id=") for folder in folders)


def require_raw_run(paths: DataPaths, run_id: str) -> None:
    """A one-line error naming the runs the store has, unless `run_id` has raw files there."""
    if any(parquet_files(paths.run_folder(table, run_id)) for table in RAW_RUN_TABLES):
        return
    known = stored_run_ids(paths)
    listing = ", ".join(known[:20]) + (f" (+{len(known) - 20} more)" if len(known) > 20 else "")
    raise CulturewatchError(
        f"run {run_id!r} has no raw files in {paths.store.url}; runs there: {listing or 'none'}"
    )
