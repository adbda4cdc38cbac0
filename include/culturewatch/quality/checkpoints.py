"""Run one stage's checkpoints (the committed JSON in expectations/) on a run's frames.

An ephemeral GX context per validation: no GX project on disk, no analytics, no progress bars.
Its one Data Docs site is a folder under the data dir, one per run and stage
(`<data dir>/quality/data_docs/<run id>/<stage>/index.html`), so its index lists exactly the latest
validation of that stage. The checkpoints' `update_data_docs` actions are run once per stage, after
its last checkpoint (the same site either way; building it once per checkpoint would re-render
every earlier page each time and cost seconds per checkpoint).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from culturewatch.quality.suites import DATA_DOCS_SITE, CheckpointSpec, load_checkpoint_specs, load_suite

MAX_EXAMPLES = 10


@dataclass(frozen=True)
class CheckpointOutcome:
    name: str
    success: bool
    failures: list[dict[str, object]] = field(default_factory=list)
    data_docs_url: str | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class StageOutcome:
    run_id: str
    stage: str
    checkpoints: list[CheckpointOutcome]
    data_docs_url: str | None
    seconds: float
    docs_seconds: float = 0.0

    @property
    def success(self) -> bool:
        return all(checkpoint.success for checkpoint in self.checkpoints)

    @property
    def failures(self) -> list[dict[str, object]]:
        return [failure for checkpoint in self.checkpoints for failure in checkpoint.failures]

    def failed_checks(self) -> set[str]:
        """`<checkpoint>.<check>` of every failing expectation."""
        return {f"{failure['checkpoint']}.{failure['check']}" for failure in self.failures}


def _plain(value: object) -> object:
    """JSON-safe: NaN/inf as text, numpy scalars as Python, containers recursively."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()  # type: ignore[union-attr]
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def observed(result: dict[str, object]) -> dict[str, object]:
    """What an expectation saw, compactly: the observed value or the unexpected count, share and
    the first examples (with their index columns), and missing values of a set comparison."""
    summary: dict[str, object] = {}
    for key in ("observed_value", "element_count", "unexpected_count", "unexpected_percent"):
        if result.get(key) is not None:
            summary[key] = result[key]
    for key in ("partial_unexpected_index_list", "partial_unexpected_list", "partial_missing_list"):
        values = result.get(key)
        if values:
            summary[key.removeprefix("partial_")] = list(values)[:MAX_EXAMPLES]
            break
    if result.get("partial_missing_list") and "missing_list" not in summary:
        summary["missing_list"] = list(result["partial_missing_list"])[:MAX_EXAMPLES]  # type: ignore[arg-type]
    if result.get("partial_unexpected_list") and "unexpected_list" not in summary:
        summary["unexpected_list"] = list(result["partial_unexpected_list"])[:MAX_EXAMPLES]  # type: ignore[arg-type]
    return _plain(summary)  # type: ignore[return-value]


def _context(docs_dir: Path):
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _checkpoint(context, spec: CheckpointSpec, suite):
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas(name=f"culturewatch_{spec.stage}")
    asset = source.add_dataframe_asset(name=spec.frame)
    batch = asset.add_batch_definition_whole_dataframe(name=spec.frame)
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
    )
    return context.checkpoints.add(
        gx.Checkpoint(name=spec.name, validation_definitions=[definition], result_format=spec.result_format())
    )


def _docs_sites(specs: list[CheckpointSpec]) -> list[str]:
    """The Data Docs sites the stage's checkpoints update (their `update_data_docs` actions)."""
    sites: list[str] = []
    for spec in specs:
        for action in spec.actions:
            if action["type"] != "update_data_docs":
                raise ValueError(f"checkpoint {spec.name}: unknown action {action['type']!r}")
            sites += [str(site) for site in action["site_names"] if site not in sites]  # type: ignore[union-attr]
    return sites


def _suite_columns(suite) -> set[str]:
    needed: set[str] = set()
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if isinstance(kwargs.get(key), str):
                needed.add(kwargs[key])
        needed.update(kwargs.get("column_list") or [])
        condition = kwargs.get("row_condition")
        if condition is not None:
            needed.update(_condition_columns(condition))
    return needed


def _condition_columns(condition) -> set[str]:
    if hasattr(condition, "conditions"):
        return {name for part in condition.conditions for name in _condition_columns(part)}
    column = getattr(condition, "column", None)
    return {column.name} if column is not None else set()


def referenced_columns(stage: str, frames: tuple[str, ...]) -> set[str]:
    """Every column the stage's checkpoints on `frames` name (expectations, row conditions, index)."""
    needed: set[str] = set()
    for spec in load_checkpoint_specs(stage):
        if spec.frame in frames:
            needed |= _suite_columns(load_suite(spec.suite)) | set(spec.index_columns)
    return needed


def _missing_columns(spec: CheckpointSpec, suite, frame: pd.DataFrame) -> list[str]:
    return sorted(_suite_columns(suite) - set(frame.columns))


def run_stage(
    run_id: str,
    stage: str,
    frames: dict[str, pd.DataFrame | None],
    parameters: dict[str, object],
    docs_dir: Path,
) -> StageOutcome:
    """Run every checkpoint of `stage` on its frame; a frame of None (a mart this warehouse does not
    have) skips its checkpoint, a frame missing a column the suite names fails it."""
    from great_expectations.core.run_identifier import RunIdentifier

    started = time.perf_counter()
    docs_dir.mkdir(parents=True, exist_ok=True)
    context = _context(docs_dir)
    run_time = datetime.now(UTC)
    outcomes = []
    specs = load_checkpoint_specs(stage)
    results = []
    for spec in specs:
        frame = frames.get(spec.frame)
        if frame is None:
            outcomes.append(CheckpointOutcome(spec.name, True, skipped=f"no frame {spec.frame!r}"))
            continue
        suite = load_suite(spec.suite)
        missing = _missing_columns(spec, suite, frame)
        if missing:
            failure = {
                "checkpoint": spec.name,
                "check": "frame_has_columns",
                "expectation": "expect_table_columns_to_match_set",
                "column": missing,
                "observed": {"missing_columns": missing},
            }
            outcomes.append(CheckpointOutcome(spec.name, False, [failure]))
            continue
        index = [column for column in spec.index_columns if column in frame.columns]
        if index != spec.index_columns:
            spec = CheckpointSpec(spec.name, spec.stage, spec.frame, spec.suite, index, spec.actions)
        checkpoint = _checkpoint(context, spec, suite)
        result = checkpoint.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            run_id=RunIdentifier(run_name=f"{run_id}-{stage}", run_time=run_time),
        )
        results.append((len(outcomes), result))
        failures = []
        for validation in result.run_results.values():
            for item in validation.results:
                if item.success:
                    continue
                config = item.expectation_config
                kwargs = config.kwargs
                failure: dict[str, object] = {
                    "checkpoint": spec.name,
                    "check": (config.meta or {}).get("check", config.type),
                    "expectation": config.type,
                    "column": kwargs.get("column")
                    or [kwargs[key] for key in ("column_A", "column_B") if key in kwargs]
                    or kwargs.get("column_list"),
                    "description": config.description,
                }
                error = _exception(item.exception_info)
                if error is not None:
                    failure["observed"] = {"exception": error}
                else:
                    failure["observed"] = observed(dict(item.result))
                failures.append(_plain(failure))
        outcomes.append(CheckpointOutcome(spec.name, bool(result.success), failures))  # type: ignore[arg-type]
    sites = _docs_sites(specs)
    docs_started = time.perf_counter()
    if sites and results:
        context.build_data_docs(site_names=sites)
        for position, result in results:
            url = next((_page_url(context, key) for key in result.run_results), None)
            outcomes[position] = replace(outcomes[position], data_docs_url=url)
    index_page = docs_dir / "index.html"
    return StageOutcome(
        run_id=run_id,
        stage=stage,
        checkpoints=outcomes,
        data_docs_url=index_page.as_uri() if index_page.is_file() else None,
        seconds=time.perf_counter() - started,
        docs_seconds=time.perf_counter() - docs_started,
    )


def _exception(info: object) -> str | None:
    """The message of an exception GX caught while evaluating an expectation (its `exception_info`
    is either one record or a record per metric)."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for record in info.values():
        if isinstance(record, dict) and record.get("raised_exception"):
            return str(record.get("exception_message"))
    return None


def _page_url(context, key) -> str | None:
    for site in context.get_docs_sites_urls(resource_identifier=key, site_name=DATA_DOCS_SITE):
        if site.get("site_url"):
            return str(site["site_url"])
    return None


def failures_json(outcome: StageOutcome) -> str:
    return json.dumps(outcome.failures, sort_keys=True)
