"""Which model versions have been probed, from the raw run events (the source of truth; the
marts may not be built yet). A run is complete when every slice's (prompt language's) latest
event is `completed` — `marts.runs.is_every_slice_complete` (tests/dbt/test_runs_mart.py keeps the
two equal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import table_files
from culturewatch.storage.raw_runs import LATEST_SLICE_EVENT


@dataclass(frozen=True)
class RunState:
    run_id: str
    model: str
    model_version: str
    instrument: str | None
    complete: bool
    running: bool
    last_event_at: datetime


def run_states(paths: DataPaths) -> list[RunState]:
    """One state per run that has lifecycle events."""
    files = table_files(paths.raw_runs)
    if not files:
        return []
    query = f"""
        with events as (
            select * from {paths.store.read_parquet_sql(files)}
        ),
        latest as (
            select *
            from events
            qualify {LATEST_SLICE_EVENT}
        )
        select run_id, any_value(model), any_value(model_version), any_value(instrument),
               bool_and(event = 'completed'), bool_or(event = 'started'), max(recorded_at)
        from latest
        group by run_id
        order by run_id
    """
    with paths.store.duckdb() as con:
        rows = con.execute(query).fetchall()
    return [RunState(*row) for row in rows]


def counts_as_probed(state: RunState, instrument: str) -> bool:
    """A complete run of `instrument` (a run whose events predate the instrument column counts
    for any instrument)."""
    return state.complete and state.instrument in (None, instrument)
