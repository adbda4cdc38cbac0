"""Runs for the data-quality tests: planned from a real config and the real instrument, written
as the probe writes them (append-only batches through storage.parquet.write_batch and the one
raw schema), clean unless a test corrupts them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from culturewatch.config.schema import ProbeConfig
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import ProbeCell, ProbeSpec, build_specs
from culturewatch.quality.run_plan import RunPlan
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import write_batch
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA

MODEL = "fixture-model"
VERSION = "v1"
REQUESTED_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def specs_for(grid: dict[str, object], quality: dict[str, object] | None = None) -> list[ProbeSpec]:
    """The probe's specs for `grid` (no server involved: the version is given)."""
    model: dict[str, object] = {"name": MODEL, "base_url": "http://127.0.0.1:1/v1", "version": VERSION}
    if quality is not None:
        model["quality"] = quality
    config = ProbeConfig.model_validate({"models": [model], "grid": grid})
    return build_specs(config, load_instrument(config.grid.instrument), {MODEL: VERSION})


def row_for(spec: ProbeSpec, cell: ProbeCell, answer: float | None = 3.0) -> dict[str, object]:
    return {
        "run_id": spec.run_id,
        "model": MODEL,
        "model_version": VERSION,
        **cell.__dict__,
        "prompt": f"You are an average person from {cell.country}. Question {cell.item_id} ...",
        "response_text": None if answer is None else str(int(answer)),
        "answer": answer,
        "answer_method": "parsed",
        "parse_status": "ok" if answer is not None else "unparseable",
        "requested_at": REQUESTED_AT,
        "instrument_version": "fixture",
        "parser_version": "fixture",
        "temperature": 0.0,
        "seed": cell.trial,
        "max_tokens": 8,
        "cache_hit": False,
        "response_language": None,
        "response_language_matches": None,
    }


Edit = Callable[[list[dict[str, object]]], list[dict[str, object]]]


def write_run(
    paths: DataPaths, specs: list[ProbeSpec], edit: Edit | None = None, batch_size: int = 24
) -> RunPlan:
    """Write every planned cell of the specs' run (after `edit`), in batches like the probe."""
    [plan] = RunPlan.from_specs(specs)
    rows = [row_for(specs[0], cell) for cell in plan.cells]
    if edit is not None:
        rows = edit(rows)
    for start in range(0, len(rows), batch_size):
        write_batch(paths.run_dir(plan.run_id), rows[start : start + batch_size], RAW_RESPONSE_SCHEMA)
    return plan


def write_marts(warehouse: Path, plan: RunPlan, pdi: float = 50.0) -> None:
    """A build database with the run's rows in the marts the VSM checkpoints read, shaped as dbt's
    marts (one row per questionnaire pass; per setting and dimension for the deviation ratio),
    every value possible unless `pdi` says otherwise; `marts.runs` lists the run."""
    passes = sorted(plan.vsm_passes(), key=str)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists marts")
        planned = len(plan.cells)
        con.execute(
            "create or replace table marts.runs as select ? as run_id, ? as cells_planned, ? as rows_on_disk",
            [plan.run_id, planned, planned],
        )
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.vsm_country_scores (run_id varchar, country varchar, "
            "prompt_language varchar, style varchar, strategy varchar, variant varchar, trial integer, "
            "pdi double, idv double, mas double, uai double, lto double, ivr double, n_valid integer, "
            "n_items_expected integer, normalisation varchar)"
        )
        con.executemany(
            "insert into marts.vsm_country_scores values "
            "(?, ?, ?, ?, ?, ?, ?, ?, 40, 60, 55, 45, 50, 24, 24, 'formula_range_c0')",
            [[plan.run_id, *key, pdi] for key in passes],
        )
        con.execute(
            "create or replace table marts.deviation_ratio (run_id varchar, country varchar, "
            "setting varchar, style varchar, strategy varchar, variant varchar, dimension varchar, "
            "deviation_ratio double, null_reason varchar)"
        )
        from culturewatch.reference.countries import countries_by_code

        own = {code: country.language_code for code, country in countries_by_code().items()}
        asked: dict[tuple[object, ...], set[str]] = {}
        for country, language, style, strategy, variant, _ in passes:
            asked.setdefault((country, style, strategy, variant), set()).add(str(language))
        rows = []
        for (country, style, strategy, variant), languages in asked.items():
            settings = ["language_average"]
            settings += ["aligned"] if own[str(country)] in languages else []
            settings += [name for name, code in (("english", "en"), ("chinese", "zh")) if code in languages]
            for setting in settings:
                for dimension in ("overall", "pdi", "idv", "mas", "uai", "lto", "ivr"):
                    rows.append(
                        [plan.run_id, country, setting, style, strategy, variant, dimension, 1.2, None]
                    )
        con.executemany("insert into marts.deviation_ratio values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
