"""Which model versions have been probed, from the raw run events (the source of truth; the
marts may not be built yet). A run is complete when every slice's (prompt language's) latest
event is `completed` — the rule of marts.runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from culturewatch.settings import DataPaths


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
    if not any(paths.raw_runs.glob("*/*.parquet")):
        return []
    pattern = str(paths.raw_runs / "*" / "*.parquet").replace("'", "''")
    query = f"""
        with events as (
            select * from read_parquet('{pattern}', hive_partitioning = false, union_by_name = true,
                                       filename = 'source_file')
        ),
        latest as (
            select *
            from events
            qualify row_number() over (
                partition by run_id, prompt_language
                order by recorded_at desc, (event = 'started') asc, source_file desc
            ) = 1
        )
        select run_id, any_value(model), any_value(model_version), any_value(instrument),
               bool_and(event = 'completed'), bool_or(event = 'started'), max(recorded_at)
        from latest
        group by run_id
        order by run_id
    """
    with duckdb.connect() as con:
        rows = con.execute(query).fetchall()
    return [RunState(*row) for row in rows]


def counts_as_probed(state: RunState, instrument: str) -> bool:
    """A complete run of `instrument` (a run whose events predate the instrument column counts
    for any instrument)."""
    return state.complete and state.instrument in (None, instrument)
