"""Promotion of a candidate adapter to `champion`, decided from the marts.

Rule, for each configured strategy: the candidate's mean CAS must beat the base's by more than
`min_mean_improvement`, and no (country, prompt language) cell may drop by more than
`max_country_drop` CAS points. The numbers are the marts' own, from `marts.alignment_history`
(metric `cas_<strategy>`): the same per-country values and the same run mean (the plain mean over
the CultureSPA paper's cultures) that the leaderboard shows and the regression alerts compare.
Only the differences are taken here. A cell the base scores but the candidate does not is a
failure (nothing is promoted on missing evidence); so is a strategy without a mean on either side.

The two runs compared are found in `marts.runs` (read-only, never recomputed here: the metrics are
defined once, in dbt): the candidate's latest complete `wvs_culturespa` run of its registry identity
(`mlflow:<name>/v<N>`, probed as the configured model), and the base version's complete run with the
same grid (run ids end in the digest of grid + instrument version, `probing.probe_specs.run_id_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from culturewatch.errors import CulturewatchError
from culturewatch.marts import RunMetric, version_runs
from culturewatch.retraining.retrain_config import PromotionSpec
from culturewatch.settings import DataPaths

INSTRUMENT = "wvs_culturespa"


def cas_metric(strategy: str) -> str:
    """The alignment_history metric of a strategy's CAS (config/regression_thresholds.yaml)."""
    return f"cas_{strategy}"


def cell_label(strategy: str, cell: tuple[str, str]) -> str:
    country, language = cell
    return f"{country}/{language}/{strategy}"


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reasons: list[str]
    mean_before: dict[str, float] = field(default_factory=dict)  # strategy → the base's mean CAS
    mean_after: dict[str, float] = field(default_factory=dict)
    deltas: dict[str, float] = field(default_factory=dict)  # cell_label → CAS after − before

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _StrategyVerdict:
    passed: bool
    reasons: list[str]
    means: tuple[float, float] | None = None  # (before, after)
    deltas: dict[str, float] = field(default_factory=dict)


def _judge(strategy: str, before: RunMetric, after: RunMetric, spec: PromotionSpec) -> _StrategyVerdict:
    missing = sorted(set(before.cells) - set(after.cells))
    if missing:
        shown = ", ".join(cell_label(strategy, cell) for cell in missing)
        return _StrategyVerdict(False, [f"the candidate has no CAS for {shown}"])
    if before.mean is None or after.mean is None:
        counts = f"base over {before.n} countries, candidate over {after.n}"
        return _StrategyVerdict(False, [f"{strategy}: no mean CAS to compare ({counts})"])
    improvement = after.mean - before.mean
    change = f"{improvement:.2f} ({before.mean:.2f} → {after.mean:.2f})"
    mean_ok = improvement > spec.min_mean_improvement
    if mean_ok:
        reasons = [f"{strategy}: mean CAS improves by {change}"]
    else:
        reasons = [f"{strategy}: mean CAS changes by {change}, not more than {spec.min_mean_improvement:.2f}"]
    deltas = {
        cell_label(strategy, cell): after.cells[cell] - value for cell, value in sorted(before.cells.items())
    }
    drops = {label: delta for label, delta in deltas.items() if delta < -spec.max_country_drop}
    reasons += [
        f"{label} drops by {-delta:.2f} > {spec.max_country_drop:.2f}" for label, delta in drops.items()
    ]
    if not drops:
        reasons.append(f"{strategy}: no country drops by more than {spec.max_country_drop:.2f}")
    return _StrategyVerdict(mean_ok and not drops, reasons, (before.mean, after.mean), deltas)


def decide(
    before: Mapping[str, RunMetric], after: Mapping[str, RunMetric], spec: PromotionSpec
) -> PromotionDecision:
    """The rule over `before` and `after` (metric → the run's RunMetric, as `marts.run_metrics`
    reads them)."""
    verdicts = {
        strategy: _judge(
            strategy,
            before.get(cas_metric(strategy), RunMetric()),
            after.get(cas_metric(strategy), RunMetric()),
            spec,
        )
        for strategy in spec.strategies
    }
    means = {strategy: verdict.means for strategy, verdict in verdicts.items() if verdict.means}
    return PromotionDecision(
        all(verdict.passed for verdict in verdicts.values()),
        [reason for verdict in verdicts.values() for reason in verdict.reasons],
        {strategy: pair[0] for strategy, pair in means.items()},
        {strategy: pair[1] for strategy, pair in means.items()},
        {label: delta for verdict in verdicts.values() for label, delta in verdict.deltas.items()},
    )


class NotProbedYet(CulturewatchError):
    """The marts do not hold a complete run of the candidate (or of the base with its grid) yet."""


@dataclass(frozen=True)
class VersionRef:
    """A model version as the marts record it: the configured model name and the version identity."""

    model: str
    version: str

    @property
    def label(self) -> str:
        return f"{self.model}@{self.version}"


@dataclass(frozen=True)
class ComparedRuns:
    base_run_id: str
    candidate_run_id: str


def grid_digest(run_id: str) -> str:
    """The grid + instrument-version digest that ends a run id (`<model>--<version>--<digest>`)."""
    return run_id.rsplit("--", 1)[-1]


def _version_runs(paths: DataPaths, ref: VersionRef) -> list[tuple[str, str]]:
    """(run_id, status) of the version's runs of the CultureSPA instrument, newest first."""
    from culturewatch.storage.warehouse import is_published

    if not is_published(paths):
        raise NotProbedYet(f"no warehouse is published in {paths.store.url} yet (no dbt build)")
    return version_runs(paths, ref.model, ref.version, INSTRUMENT)


def runs_to_compare(paths: DataPaths, base: VersionRef, candidate: VersionRef) -> ComparedRuns:
    """The candidate's latest complete run and the base's complete run with the same grid, from
    `marts.runs`; NotProbedYet names what is missing (a quarantined or running run is not used)."""
    candidate_runs = _version_runs(paths, candidate)
    complete = [run_id for run_id, status in candidate_runs if status == "complete"]
    if not complete:
        seen = ", ".join(f"{run_id} ({status})" for run_id, status in candidate_runs) or "none"
        raise NotProbedYet(
            f"no complete {INSTRUMENT} run of the candidate {candidate.label} in the marts (runs: {seen})"
        )
    base_runs = dict(_version_runs(paths, base))
    for run_id in complete:
        matching = [
            base_run
            for base_run, status in base_runs.items()
            if status == "complete" and grid_digest(base_run) == grid_digest(run_id)
        ]
        if matching:
            return ComparedRuns(matching[0], run_id)
    raise NotProbedYet(
        f"no complete run of the base {base.label} with the grid of the candidate's run {complete[0]} "
        f"(grid digest {grid_digest(complete[0])}); base runs: {base_runs or 'none'}"
    )
