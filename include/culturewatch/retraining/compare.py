"""How much the candidate's answers moved: option distributions of base and candidate on the same
held-out prompts, read from one call's `top_logprobs` (probing.distribution), compared by total
variation distance (½ Σ|p − q|, 0 = identical, 1 = disjoint) and by how often the most likely
option changed."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.probing.client import ChatClient
from culturewatch.probing.distribution import option_distribution
from culturewatch.retraining.prompts import answer_messages
from culturewatch.retraining.questions import SurveyQuestion


@dataclass(frozen=True)
class DistributionShift:
    n_prompts: int
    n_compared: int
    mean_total_variation: float
    max_total_variation: float
    argmax_changed_share: float
    rows: list[dict[str, object]]

    def summary(self) -> dict[str, float]:
        return {key: value for key, value in asdict(self).items() if key != "rows"}


def total_variation(p: list[float], q: list[float]) -> float:
    return 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True))


def comparable_questions(questions: list[SurveyQuestion]) -> list[SurveyQuestion]:
    """Questions whose options are single tokens (codes below 10), so logprobs give a distribution."""
    return [question for question in questions if max(question.codes) < 10]


async def distributions(
    client: ChatClient,
    instrument: CultureSpaInstrument,
    prompts: list[tuple[SurveyQuestion, str, str | None]],
) -> list[list[float] | None]:
    out: list[list[float] | None] = []
    for question, strategy, country in prompts:
        messages = answer_messages(instrument, question, strategy, country)
        request = client.request_for(
            messages, temperature=0.0, max_tokens=4, seed=0, trial=0, top_logprobs=20
        )
        result = await client.complete(request)
        found = option_distribution(result.token_logprobs or [], min(question.codes), max(question.codes))
        out.append(found.probs if found else None)
    return out


def compare(
    prompts: list[tuple[SurveyQuestion, str, str | None]],
    base: list[list[float] | None],
    candidate: list[list[float] | None],
) -> DistributionShift:
    rows = []
    for (question, strategy, country), p, q in zip(prompts, base, candidate, strict=True):
        if p is None or q is None:
            continue
        rows.append(
            {
                "question_id": question.id,
                "strategy": strategy,
                "country": country,
                "base": p,
                "candidate": q,
                "total_variation": total_variation(p, q),
                "argmax_changed": max(range(len(p)), key=p.__getitem__)
                != max(range(len(q)), key=q.__getitem__),
            }
        )
    n = len(rows)
    tvs = [float(row["total_variation"]) for row in rows]
    return DistributionShift(
        n_prompts=len(prompts),
        n_compared=n,
        mean_total_variation=sum(tvs) / n if n else float("nan"),
        max_total_variation=max(tvs) if n else float("nan"),
        argmax_changed_share=sum(bool(row["argmax_changed"]) for row in rows) / n if n else float("nan"),
        rows=rows,
    )
