"""Promotion of a candidate adapter to `champion`, decided from the marts.

Rule: over the (country, strategy) cells of the configured strategies that both the base run and
the candidate's run score in `marts.cultural_alignment_score`, the candidate's mean CAS must beat
the base's by more than `min_mean_improvement`, and no cell may drop by more than
`max_country_drop` CAS points. A cell the base scores but the candidate does not is a failure
(nothing is promoted on missing evidence); so is having no comparable cell at all.

The two runs compared are found in `marts.runs` (read-only, never recomputed here: the metrics are
defined once, in dbt): the candidate's latest complete `wvs_culturespa` run of its registry identity
(`mlflow:<name>/v<N>`, probed as the configured model), and the base version's complete run with the
same grid (run ids end in the digest of grid + instrument version, `probing.probe_specs.run_id_for`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from culturewatch.errors import CulturewatchError
from culturewatch.marts import CasByCell, version_runs
from culturewatch.retraining.retrain_config import PromotionSpec
from culturewatch.settings import DataPaths

INSTRUMENT = "wvs_culturespa"

Scores = CasByCell
"""(country, strategy) → CAS, as `marts.run_cas` reads it."""


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reasons: list[str]
    mean_before: float | None
    mean_after: float | None
    deltas: dict[tuple[str, str], float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "promote": self.promote,
            "reasons": self.reasons,
            "mean_before": self.mean_before,
            "mean_after": self.mean_after,
            "deltas": {f"{country}/{strategy}": delta for (country, strategy), delta in self.deltas.items()},
        }


def decide(before: Scores, after: Scores, spec: PromotionSpec) -> PromotionDecision:
    keys = sorted(key for key in before if key[1] in spec.strategies)
    missing = [key for key in keys if key not in after]
    if missing:
        shown = ", ".join(f"{country}/{strategy}" for country, strategy in missing)
        return PromotionDecision(False, [f"the candidate has no CAS for {shown}"], None, None)
    if not keys:
        return PromotionDecision(False, [f"no CAS of strategies {spec.strategies} to compare"], None, None)
    deltas = {key: after[key] - before[key] for key in keys}
    mean_before = sum(before[key] for key in keys) / len(keys)
    mean_after = sum(after[key] for key in keys) / len(keys)
    reasons = []
    improvement = mean_after - mean_before
    if improvement > spec.min_mean_improvement:
        reasons.append(f"mean CAS improves by {improvement:.2f} ({mean_before:.2f} → {mean_after:.2f})")
        mean_ok = True
    else:
        reasons.append(
            f"mean CAS changes by {improvement:.2f} ({mean_before:.2f} → {mean_after:.2f}), "
            f"not more than {spec.min_mean_improvement:.2f}"
        )
        mean_ok = False
    drops = {key: delta for key, delta in deltas.items() if delta < -spec.max_country_drop}
    for (country, strategy), delta in sorted(drops.items()):
        reasons.append(f"{country}/{strategy} drops by {-delta:.2f} > {spec.max_country_drop:.2f}")
    if not drops:
        reasons.append(f"no country drops by more than {spec.max_country_drop:.2f}")
    return PromotionDecision(mean_ok and not drops, reasons, mean_before, mean_after, deltas)


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
