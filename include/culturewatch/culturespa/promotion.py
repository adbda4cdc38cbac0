"""Promotion of a candidate adapter to `champion`, decided from the marts.

Rule: over the (country, strategy) cells of the configured strategies that both the base run and
the candidate's run score in `marts.cultural_alignment_score`, the candidate's mean CAS must beat
the base's by more than `min_mean_improvement`, and no cell may drop by more than
`max_country_drop` CAS points. A cell the base scores but the candidate does not is a failure
(nothing is promoted on missing evidence); so is having no comparable cell at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from culturewatch.culturespa.config import PromotionSpec
from culturewatch.settings import DataPaths

Scores = dict[tuple[str, str], float]
"""(country, strategy) → CAS."""


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


def cas_from_marts(
    paths: DataPaths, run_id: str, style: str = "classification", variant: str = "base", language: str = "en"
) -> Scores:
    """(country, strategy) → CAS of one run, from the mart analysts read (null CAS left out)."""
    from culturewatch.storage.warehouse import connect_warehouse

    with connect_warehouse(paths) as connection:
        rows = connection.execute(
            "select country, strategy, cas from marts.cultural_alignment_score "
            "where run_id = ? and style = ? and variant = ? and prompt_language = ? and cas is not null",
            [run_id, style, variant, language],
        ).fetchall()
    return {(str(country), str(strategy)): float(cas) for country, strategy, cas in rows}
