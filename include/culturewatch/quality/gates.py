"""The data-quality gates: what the DAG tasks and `culturewatch validate` call.

- `gate_raw(paths, specs)`: after the probe. Records each run's plan, runs the raw checkpoints
  on its raw answers, writes `validated` or `quarantined` (stage `raw`).
- `audit_marts(paths, connection)`: inside a warehouse build, after dbt and before publishing
  (culturewatch.transform.warehouse_build). Runs the marts checkpoints on the build's marts rows
  of every run still waiting for them (latest verdict a `validated`/`released` of another
  stage), writes `validated` or `quarantined` (stage `marts`); the build then leaves a
  quarantined run out of what it publishes, so no reader ever sees it.
- `revalidate(paths, run_id)`: after a fix; a quarantined run that now passes is `released`.
- `release(paths, run_id, reason)`: ops release a run by hand (stage `manual`).

Nothing is deleted: raw data stays whatever the verdict.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from culturewatch.errors import CulturewatchError
from culturewatch.probing.probe_specs import ProbeSpec
from culturewatch.quality.checkpoints import StageOutcome, run_stage
from culturewatch.quality.run_plan import RunPlan, planned_run_ids
from culturewatch.quality.suites import load_checkpoint_specs
from culturewatch.quality.verdicts import QUARANTINED, RELEASED, VALIDATED, latest_verdict, record_verdict
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)


class DataQualityFailed(CulturewatchError):
    """Raised by a gate task when it quarantined runs; carries their verdicts for the notifier."""

    def __init__(self, verdicts: Sequence[dict[str, object]]):
        self.verdicts = [dict(verdict) for verdict in verdicts]
        from culturewatch.quality.notify import message

        super().__init__(message(self.verdicts))


def docs_dir(paths: DataPaths, run_id: str, stage: str):
    return paths.quality_local / "data_docs" / run_id / stage


def validate_raw(paths: DataPaths, plan: RunPlan) -> StageOutcome:
    """The raw checkpoints on the run's raw answers (files, rows, grid cells, per-group rates)."""
    from culturewatch.quality.checkpoints import referenced_columns
    from culturewatch.quality.frames import cells_frame, files_frame, rates_frame, read_raw_run, rows_frame
    from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA

    # the contract's columns and types are checked per file from the footers (raw_files); the rows
    # are read only for the columns the rows' and rates' suites look at
    needed = referenced_columns("raw", ("rows",)) | {"response_language_matches"}
    raw = read_raw_run(paths, plan.run_id, [name for name in RAW_RESPONSE_SCHEMA.names if name in needed])
    rows = rows_frame(raw.table, plan)
    frames = {
        "files": files_frame(raw.schemas),
        "rows": rows,
        "cells": cells_frame(rows, plan),
        "rates": rates_frame(rows, plan),
    }
    return run_stage(plan.run_id, "raw", frames, plan.raw_parameters(), docs_dir(paths, plan.run_id, "raw"))


def validate_marts(paths: DataPaths, plan: RunPlan, connection) -> StageOutcome:
    """The marts checkpoints on the run's rows of each mart of the warehouse `connection` reads."""
    from culturewatch.marts import read_mart

    frames = {
        spec.frame: read_mart(connection, spec.frame.removeprefix("mart:"), plan.run_id)
        for spec in load_checkpoint_specs("marts")
    }
    return run_stage(
        plan.run_id, "marts", frames, plan.marts_parameters(), docs_dir(paths, plan.run_id, "marts")
    )


def _verdict(
    paths: DataPaths, plan: RunPlan, outcome: StageOutcome, passed_status: str, reason_ok: str
) -> dict[str, object]:
    if outcome.success:
        status, reason = passed_status, reason_ok
    else:
        checks = sorted(outcome.failed_checks())
        status, reason = QUARANTINED, f"{len(checks)} failing expectation(s): {', '.join(checks)}"
    row = record_verdict(
        paths, plan.run_id, status, outcome.stage, reason, outcome.failures, outcome.data_docs_url
    )
    log.info(
        "run %s %s at stage %s in %.1f s; Data Docs: %s",
        plan.run_id,
        status,
        outcome.stage,
        outcome.seconds,
        outcome.data_docs_url,
    )
    return {
        **{key: value for key, value in row.items() if key != "recorded_at"},
        "recorded_at": str(row["recorded_at"]),
        "model": plan.model,
        "model_version": plan.model_version,
        "failures": outcome.failures,
        "seconds": round(outcome.seconds, 3),
    }


def gate_raw(paths: DataPaths, specs: Iterable[ProbeSpec | dict[str, object]]) -> list[dict[str, object]]:
    """Validate the raw answers of every run of `specs`; one verdict per run (JSON-safe dicts)."""
    probe_specs = [spec if isinstance(spec, ProbeSpec) else ProbeSpec.from_dict(spec) for spec in specs]
    verdicts = []
    for plan in RunPlan.from_specs(probe_specs):
        plan.save(paths)
        outcome = validate_raw(paths, plan)
        verdicts.append(
            _verdict(paths, plan, outcome, _passing_status(paths, plan.run_id), "raw checkpoints pass")
        )
    return verdicts


def _passing_status(paths: DataPaths, run_id: str) -> str:
    """`released` for a run whose latest verdict quarantined it (e.g. a resumed probe filled the
    missing cells), else `validated`."""
    before = latest_verdict(paths, run_id)
    return RELEASED if before and before["status"] == QUARANTINED else VALIDATED


def pending_marts_runs(paths: DataPaths, connection) -> list[str]:
    """Runs with a recorded plan whose latest verdict publishes them but is not a marts verdict
    yet, and whose rows the warehouse `connection` reads has (marts.runs)."""
    built = {row[0] for row in connection.execute("select run_id from marts.runs").fetchall()}
    pending = []
    for run_id in planned_run_ids(paths):
        latest = latest_verdict(paths, run_id)
        if (
            run_id in built
            and latest
            and latest["status"] in (VALIDATED, RELEASED)
            and latest["stage"] != "marts"
        ):
            pending.append(run_id)
    return pending


def audit_marts(
    paths: DataPaths, connection, run_ids: Sequence[str] | None = None
) -> list[dict[str, object]]:
    """Validate the marts rows of `run_ids` (default: every run pending marts validation) in the
    build `connection` reads; one verdict per run, recorded in the store."""
    verdicts = []
    for run_id in run_ids if run_ids is not None else pending_marts_runs(paths, connection):
        plan = RunPlan.load(paths, run_id)
        outcome = validate_marts(paths, plan, connection)
        verdicts.append(_verdict(paths, plan, outcome, VALIDATED, "marts checkpoints pass"))
    return verdicts


def revalidate(paths: DataPaths, run_id: str, plan: RunPlan | None = None) -> list[dict[str, object]]:
    """Re-run the checkpoints of a run after a fix: raw, then its marts when the warehouse has its
    rows. A run whose latest verdict was `quarantined` and that now passes is `released`."""
    from culturewatch.marts import read_mart
    from culturewatch.storage.warehouse import WarehouseNotPublished, connect_warehouse

    if plan is None:
        plan = RunPlan.load(paths, run_id)
    else:
        plan.save(paths)
    passed = _passing_status(paths, run_id)
    raw = validate_raw(paths, plan)
    stages = [raw]
    try:
        connection = connect_warehouse(paths)
    except WarehouseNotPublished:
        connection = None
    has_marts_rows = False
    if connection is not None:
        with connection:
            in_marts = read_mart(connection, "runs", run_id)
            scores = read_mart(connection, "vsm_country_scores", run_id)
            has_marts_rows = any(frame is not None and len(frame) for frame in (in_marts, scores))
            if raw.success and has_marts_rows:
                stages.append(validate_marts(paths, plan, connection))
    failing = [stage for stage in stages if not stage.success]
    final = failing[0] if failing else stages[-1]
    reason = f"re-validated after a fix: {' and '.join(stage.stage for stage in stages)} checkpoints pass" + (
        "" if has_marts_rows else "; marts not built for it yet (run `culturewatch build`)"
    )
    return [_verdict(paths, plan, final, passed, reason)]


def release(paths: DataPaths, run_id: str, reason: str) -> dict[str, object]:
    """Ops release a run by hand (e.g. a small model's honest parse rate accepted knowingly)."""
    if not reason.strip():
        raise CulturewatchError("a manual release needs a reason")
    latest = latest_verdict(paths, run_id)
    if latest is None:
        raise CulturewatchError(f"run {run_id!r} has no verdict to release")
    row = record_verdict(paths, run_id, RELEASED, "manual", reason, [], latest.get("data_docs_url"))  # type: ignore[arg-type]
    return {**row, "recorded_at": str(row["recorded_at"])}


def quarantined(verdicts: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    return [verdict for verdict in verdicts if verdict.get("status") == QUARANTINED]


def raise_if_quarantined(verdicts: Sequence[dict[str, object]]) -> None:
    """Fail the gate task (its notifier tells ops) when any run was quarantined."""
    bad = quarantined(verdicts)
    if bad:
        raise DataQualityFailed(bad)
    for verdict in verdicts:
        print(f"run {verdict['run_id']}: {verdict['status']} ({verdict['stage']})")
        print(f"Data Docs: {verdict['data_docs_url']}")
