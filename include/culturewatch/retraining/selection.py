"""CRQPC, Culture-Related QA Pairs Collecting (§4.3): for culture c keep (q_i, o_i^c) where the
culture-aware answer o_i^c differs from the culture-unaware answer o_i. A pair with either
answer unparseable cannot be compared and is dropped (counted as `unanswered`)."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from culturewatch.retraining.answers import Answer


@dataclass(frozen=True)
class SelectedPair:
    question_id: str
    country: str
    strategy: str
    aware_answer: int
    unaware_answer: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Selection:
    pairs: list[SelectedPair]
    counts: dict[str, int]
    counts_by_country: dict[str, dict[str, int]]
    method: str = "crqpc"


def crqpc(answers: list[Answer], max_per_country: int | None = None, seed: int = 0) -> Selection:
    """Select culture-related pairs; optionally a seeded sample of at most `max_per_country` each."""
    unaware = {answer.question_id: answer.answer for answer in answers if answer.country is None}
    by_country: dict[str, list[SelectedPair]] = {}
    counts_by_country: dict[str, dict[str, int]] = {}
    for answer in answers:
        if answer.country is None:
            continue
        counts = counts_by_country.setdefault(
            answer.country, {"pairs": 0, "shifted": 0, "consistent": 0, "unanswered": 0, "selected": 0}
        )
        counts["pairs"] += 1
        base = unaware.get(answer.question_id)
        if answer.answer is None or base is None:
            counts["unanswered"] += 1
        elif answer.answer == base:
            counts["consistent"] += 1
        else:
            counts["shifted"] += 1
            by_country.setdefault(answer.country, []).append(
                SelectedPair(answer.question_id, answer.country, answer.strategy, answer.answer, base)
            )
    selected: list[SelectedPair] = []
    for country in sorted(by_country):
        pairs = by_country[country]
        if max_per_country is not None and len(pairs) > max_per_country:
            pairs = random.Random(f"{seed}:{country}").sample(pairs, max_per_country)
            pairs.sort(key=lambda pair: pair.question_id)
        counts_by_country[country]["selected"] = len(pairs)
        selected.extend(pairs)
    totals = {
        key: sum(counts[key] for counts in counts_by_country.values())
        for key in ("pairs", "shifted", "consistent", "unanswered", "selected")
    }
    return Selection(selected, totals, counts_by_country)


def rds(answers: list[Answer], max_per_country: int | None = None, seed: int = 0) -> Selection:
    """Random Data Sampling (§6.1, the paper's comparison for CRQPC): a seeded sample of all
    answered (q_i, o_i^c) pairs, shifted or not."""
    unaware = {answer.question_id: answer.answer for answer in answers if answer.country is None}
    by_country: dict[str, list[SelectedPair]] = {}
    for answer in answers:
        base = unaware.get(answer.question_id)
        if answer.country is None or answer.answer is None or base is None:
            continue
        by_country.setdefault(answer.country, []).append(
            SelectedPair(answer.question_id, answer.country, answer.strategy, answer.answer, base)
        )
    pairs: list[SelectedPair] = []
    counts_by_country: dict[str, dict[str, int]] = {}
    for country in sorted(by_country):
        chosen = by_country[country]
        if max_per_country is not None and len(chosen) > max_per_country:
            chosen = sorted(
                random.Random(f"{seed}:{country}").sample(chosen, max_per_country),
                key=lambda p: p.question_id,
            )
        counts_by_country[country] = {"answered": len(by_country[country]), "selected": len(chosen)}
        pairs.extend(chosen)
    totals = {"answered": sum(len(v) for v in by_country.values()), "selected": len(pairs)}
    return Selection(pairs, totals, counts_by_country, method="rds")
