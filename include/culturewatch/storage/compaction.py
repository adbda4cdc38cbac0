"""Compaction: a finished run's raw files, one Parquet file per run and table.

The probe writes a run as many small batches (one per `batch_size` answers, one per lifecycle
event); a full build would open a number of files that grows with batches. Once a run is
complete, `compact_run` rewrites each of its raw tables (responses, judgements, lifecycle events,
and its data-quality verdicts) as one sorted file that lists in its footer the files it replaces,
then deletes them (storage.parquet.compact; readers resolve the short window in between). It holds
the run's whole-run claim meanwhile, so no probe of any lane writes into the run; a run some
probe holds is skipped and compacted next time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from culturewatch.settings import DataPaths
from culturewatch.storage.claims import WHOLE_RUN, ClaimHeld, Claims
from culturewatch.storage.parquet import compact
from culturewatch.storage.schema import (
    JUDGEMENT_KEY,
    JUDGEMENT_SCHEMA,
    RAW_RESPONSE_KEY,
    RAW_RESPONSE_SCHEMA,
    RUN_EVENT_SCHEMA,
    RUN_STATUS_SCHEMA,
)

log = logging.getLogger(__name__)


def compact_run(paths: DataPaths, run_id: str) -> dict[str, str | None]:
    """Compact every raw table of one run; {table: new file or None when already one file}.
    Raises ClaimHeld when a probe holds the run."""
    folders = (
        ("responses", paths.run_folder("responses", run_id), RAW_RESPONSE_SCHEMA, RAW_RESPONSE_KEY[1:]),
        ("judgements", paths.run_folder("judgements", run_id), JUDGEMENT_SCHEMA, JUDGEMENT_KEY[1:]),
        ("runs", paths.run_folder("runs", run_id), RUN_EVENT_SCHEMA, ("recorded_at",)),
        ("verdicts", paths.verdict_folder(run_id), RUN_STATUS_SCHEMA, ("recorded_at",)),
    )
    with Claims(paths.state_db).claim(run_id, WHOLE_RUN):
        written = {table: compact(folder, schema, sort) for table, folder, schema, sort in folders}
    for table, file in written.items():
        if file:
            log.info("run %s: %s compacted into %s", run_id, table, file)
    return written


def compact_runs(paths: DataPaths, run_ids: Sequence[str] | None = None) -> dict[str, dict[str, str | None]]:
    """Compact `run_ids` (default: every complete run); a run a probe holds is skipped."""
    if run_ids is None:
        from culturewatch.discovery.probed import run_states

        run_ids = [state.run_id for state in run_states(paths) if state.complete]
    done = {}
    for run_id in run_ids:
        try:
            done[run_id] = compact_run(paths, run_id)
        except ClaimHeld as exc:
            log.info("run %s not compacted now: %s", run_id, exc)
    return done
