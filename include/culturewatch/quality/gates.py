"""The data-quality gates: what the DAG tasks and `culturewatch validate` call.

- `gate_raw(paths, specs)`: after the probe. Records each run's plan, runs the raw checkpoints
  on its raw answers, writes `validated` or `quarantined` (stage `raw`).
- `gate_marts(paths)`: after dbt. Runs the marts checkpoints on the marts rows of every run
  still waiting for them (latest verdict a `validated`/`released` of another stage), writes
  `validated` or `quarantined` (stage `marts`); when it quarantines, it rebuilds the marts so the
  run drops out of them before anything downstream (alerts) reads them.
- `revalidate(paths, run_id)`: after a fix; a quarantined run that now passes is `released`.
- `release(paths, run_id, reason)`: ops release a run by hand (stage `manual`).

Nothing is deleted: raw data stays whatever the verdict.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from culturewatch.errors import CulturewatchError
from culturewatch.probing.plan import ProbeSpec
from culturewatch.quality.checkpoints import StageOutcome, run_stage
from culturewatch.quality.plan import RunPlan, quality_dir
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
    return quality_dir(paths) / "data_docs" / run_id / stage


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


def validate_marts(paths: DataPaths, plan: RunPlan) -> StageOutcome:
    """The marts checkpoints on the run's rows of each mart."""
    from culturewatch.quality.frames import read_mart

    frames = {
        spec.frame: read_mart(paths, spec.frame.removeprefix("mart:"), plan.run_id)
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


def pending_marts_runs(paths: DataPaths) -> list[str]:
    """Runs with a recorded plan whose latest verdict publishes them but is not a marts verdict yet."""
    plans = sorted((quality_dir(paths) / "plans").glob("*.json"))
    pending = []
    for plan_file in plans:
        latest = latest_verdict(paths, plan_file.stem)
        if latest and latest["status"] in (VALIDATED, RELEASED) and latest["stage"] != "marts":
            pending.append(plan_file.stem)
    return pending


def gate_marts(
    paths: DataPaths, run_ids: Sequence[str] | None = None, rebuild: bool = True
) -> list[dict[str, object]]:
    """Validate the marts rows of `run_ids` (default: every run pending marts validation)."""
    verdicts = []
    for run_id in run_ids if run_ids is not None else pending_marts_runs(paths):
        plan = RunPlan.load(paths, run_id)
        outcome = validate_marts(paths, plan)
        verdicts.append(_verdict(paths, plan, outcome, VALIDATED, "marts checkpoints pass"))
    if rebuild and quarantined(verdicts):
        from culturewatch.transform.dbt_build import build_marts

        log.info("rebuilding the marts without the quarantined run(s)")
        build_marts(paths)
    return verdicts


def revalidate(paths: DataPaths, run_id: str, plan: RunPlan | None = None) -> list[dict[str, object]]:
    """Re-run the checkpoints of a run after a fix: raw, then its marts when the warehouse has its
    rows. A run whose latest verdict was `quarantined` and that now passes is `released`."""
    from culturewatch.quality.frames import read_mart

    if plan is None:
        plan = RunPlan.load(paths, run_id)
    else:
        plan.save(paths)
    passed = _passing_status(paths, run_id)
    raw = validate_raw(paths, plan)
    stages = [raw]
    in_marts = read_mart(paths, "runs", run_id)
    scores = read_mart(paths, "vsm_country_scores", run_id)
    has_marts_rows = any(frame is not None and len(frame) for frame in (in_marts, scores))
    if raw.success and has_marts_rows:
        stages.append(validate_marts(paths, plan))
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
