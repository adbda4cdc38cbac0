"""What a run planned, kept beside its verdicts so any later validation can check the grid.

The probe's specs (one per model version × prompt language) carry the grid and the countries of
each language; a run's plan is their union. `gate_raw` saves it as JSON under
`<data dir>/quality/plans/`; `culturewatch validate --run-id X` reads it back (or re-plans from
`--config`). Every expected value the checkpoints need (planned cells, allowed values from the
reference data and the instrument, per-group thresholds, marts row counts) is derived here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import get_args

import yaml

from culturewatch.config.schema import ProbeGrid, Strategy, Style
from culturewatch.errors import CulturewatchError
from culturewatch.identifiers import check_run_id
from culturewatch.instruments.loader import AnyInstrument, load_instrument
from culturewatch.kinds import InstrumentKind, kind_of
from culturewatch.probing.parse import ParseStatus
from culturewatch.probing.probe_specs import ProbeCell, ProbeSpec, cells_for
from culturewatch.quality.thresholds import QualityThresholds
from culturewatch.reference.countries import load_countries
from culturewatch.settings import DBT_PROJECT_DIR, DataPaths

Pair = tuple[str | None, str]


def plan_path(paths: DataPaths, run_id: str) -> str:
    """The run's plan in the shared store: quality/plans/<run>.json."""
    return f"{paths.plans.path}/{check_run_id(run_id)}.json"


def planned_run_ids(paths: DataPaths) -> list[str]:
    """Every run with a recorded plan."""
    return sorted(file.name.removesuffix(".json") for file in paths.plans.files(".json"))


@dataclass(frozen=True)
class RunPlan:
    """One run's planned grid and the thresholds of its model."""

    run_id: str
    model: str
    model_version: str
    grid: dict[str, object]
    pairs: tuple[Pair, ...]
    thresholds: dict[str, object]

    @classmethod
    def from_specs(cls, specs: Iterable[ProbeSpec]) -> list[RunPlan]:
        """One plan per run id of `specs` (a run's specs differ only in their prompt language)."""
        by_run: dict[str, list[ProbeSpec]] = {}
        for spec in specs:
            by_run.setdefault(spec.run_id, []).append(spec)
        plans = []
        for run_id, run_specs in sorted(by_run.items()):
            first = run_specs[0]
            endpoint, _, _ = first.parsed()
            pairs = tuple((country, spec.prompt_language) for spec in run_specs for country in spec.countries)
            plans.append(
                cls(
                    run_id=run_id,
                    model=endpoint.name,
                    model_version=first.model_version,
                    grid=first.grid,
                    pairs=pairs,
                    thresholds=endpoint.quality.model_dump(mode="json"),
                )
            )
        return plans

    # --- persistence --------------------------------------------------------------------------

    def save(self, paths: DataPaths) -> str:
        target = plan_path(paths, self.run_id)
        paths.store.put_bytes(target, json.dumps(asdict(self), indent=1, sort_keys=True).encode())
        return target

    @classmethod
    def load(cls, paths: DataPaths, run_id: str) -> RunPlan:
        source = plan_path(paths, run_id)
        stored = paths.store.get_bytes(source)
        if stored is None:
            raise CulturewatchError(
                f"no recorded plan for run {run_id!r} ({paths.store.uri(source)}): runs probed through "
                f"the probe DAG record one; otherwise pass --config with the run configuration it was "
                f"probed with"
            )
        data = json.loads(stored)
        data["pairs"] = tuple((country, language) for country, language in data["pairs"])
        return cls(**data)

    # --- what was planned ---------------------------------------------------------------------

    @cached_property
    def probe_grid(self) -> ProbeGrid:
        return ProbeGrid.model_validate(self.grid)

    @cached_property
    def instrument(self) -> AnyInstrument:
        return load_instrument(self.probe_grid.instrument)

    @cached_property
    def quality(self) -> QualityThresholds:
        return QualityThresholds.model_validate(self.thresholds)

    @cached_property
    def cells(self) -> list[ProbeCell]:
        return cells_for(self.probe_grid, self.instrument, list(self.pairs))

    def planned(self, field: str) -> list[object]:
        """The distinct non-null values of one cell field over the planned grid, sorted."""
        return sorted({getattr(cell, field) for cell in self.cells} - {None})  # type: ignore[type-var]

    # --- allowed values, from the reference data and the instrument -------------------------------

    @cached_property
    def kind(self) -> InstrumentKind:
        return kind_of(self.instrument)

    def allowed_countries(self) -> list[str]:
        return self.kind.allowed_countries(self.instrument)

    def allowed_variants(self) -> list[str]:
        return self.kind.allowed_variants(self.instrument)

    def item_scales(self) -> dict[str, tuple[int, int]] | None:
        """Each item's answer scale (min, max); None for instruments without option answers."""
        return self.kind.item_scales(self.instrument)

    def raw_parameters(self) -> dict[str, object]:
        """The `$PARAMETER` values of the raw suites for this run."""
        return {
            "run_ids": [self.run_id],
            "models": [self.model],
            "model_versions": [self.model_version],
            "instruments": [self.instrument.id],
            "allowed_countries": self.allowed_countries(),
            "allowed_languages": sorted(self.instrument.languages),
            "allowed_items": sorted(self.instrument.item_ids),
            "allowed_styles": sorted(get_args(Style)),
            "allowed_strategies": sorted(get_args(Strategy)),
            "allowed_variants": self.allowed_variants(),
            "allowed_parse_statuses": sorted(get_args(ParseStatus)),
            "max_trial": self.probe_grid.trials - 1,
            "planned_rows": len(self.cells),
            "planned_countries": self.planned("country"),
            "planned_languages": self.planned("prompt_language"),
            "planned_items": self.planned("item_id"),
            "planned_styles": self.planned("style"),
            "planned_strategies": self.planned("strategy"),
            "planned_variants": self.planned("variant"),
        }

    # --- marts expected from the grid -----------------------------------------------------------

    def vsm_passes(self) -> set[tuple[object, ...]]:
        """Questionnaire passes (country, language, style, strategy, variant, trial) of a VSM run."""
        if not self.kind.vsm_marts:
            return set()
        return {
            (cell.country, cell.prompt_language, cell.style, cell.strategy, cell.variant, cell.trial)
            for cell in self.cells
        }

    def deviation_ratio_rows(self) -> int:
        """Rows the deviation-ratio mart holds for the run: per persona country × style × strategy ×
        variant, one row per dimension (overall + six) of each setting the grid asked: `aligned`
        (the country's own language), each fixed-language setting of the dbt project whose language
        was asked, and `language_average` (always)."""
        passes = self.vsm_passes()
        if not passes:
            return 0
        own_language = {country.country_code: country.language_code for country in load_countries()}
        fixed = dbt_language_settings()
        asked: dict[tuple[object, ...], set[str]] = {}
        for country, language, style, strategy, variant, _ in passes:
            asked.setdefault((country, style, strategy, variant), set()).add(str(language))
        rows = 0
        for (country, *_), languages in asked.items():
            settings = 1 + (own_language.get(str(country)) in languages)
            settings += sum(language in languages for language in fixed.values())
            rows += settings * 7
        return rows

    def marts_parameters(self) -> dict[str, object]:
        """The `$PARAMETER` values of the marts suites for this run."""
        return {
            "run_ids": [self.run_id],
            "planned_rows": len(self.cells),
            "vsm_passes": len(self.vsm_passes()),
            "deviation_ratio_rows": self.deviation_ratio_rows(),
            "planned_persona_countries": (
                sorted({str(cell.country) for cell in self.cells if cell.country is not None})
                if self.kind.vsm_marts
                else []
            ),
        }


def dbt_language_settings() -> dict[str, str]:
    """The deviation ratio's fixed-language settings (`var dr_language_settings` of the dbt project)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return dict(project.get("vars", {}).get("dr_language_settings", {}))
