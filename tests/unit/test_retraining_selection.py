"""CRQPC keeps (question, culture-aware answer) where it differs from the culture-unaware answer."""

from __future__ import annotations

from culturewatch.instruments.loader import load_instrument
from culturewatch.retraining.answers import Answer
from culturewatch.retraining.prompts import seed_questions
from culturewatch.retraining.selection import crqpc, rds
from culturewatch.retraining.sft_data import sft_records


def _answer(question: str, country: str | None, value: int | None) -> Answer:
    strategy = "unaware" if country is None else "aware"
    return Answer(question, strategy, country, value, "ok" if value is not None else "unparseable", None)


ANSWERS = [
    _answer("Q1", None, 1),
    _answer("Q2", None, 2),
    _answer("Q3", None, None),
    _answer("Q1", "US", 1),  # same as unaware: dropped
    _answer("Q2", "US", 3),  # shifted: kept
    _answer("Q3", "US", 2),  # unaware unparseable: dropped
    _answer("Q1", "CN", 4),  # shifted: kept
    _answer("Q2", "CN", None),  # aware unparseable: dropped
    _answer("Q2", "DE", 1),  # shifted: kept
]


def test_crqpc_keeps_only_shifted_pairs_with_the_aware_answer() -> None:
    selection = crqpc(ANSWERS)
    kept = {
        (pair.question_id, pair.country, pair.aware_answer, pair.unaware_answer) for pair in selection.pairs
    }
    assert kept == {("Q2", "US", 3, 2), ("Q1", "CN", 4, 1), ("Q2", "DE", 1, 2)}
    assert selection.counts == {"pairs": 6, "shifted": 3, "consistent": 1, "unanswered": 2, "selected": 3}
    assert selection.counts_by_country["US"] == {
        "pairs": 3,
        "shifted": 1,
        "consistent": 1,
        "unanswered": 1,
        "selected": 1,
    }


def test_crqpc_caps_each_country_with_a_seeded_sample() -> None:
    answers = [_answer(f"Q{n}", None, 1) for n in range(10)] + [_answer(f"Q{n}", "US", 2) for n in range(10)]
    first = crqpc(answers, max_per_country=4, seed=7)
    again = crqpc(answers, max_per_country=4, seed=7)
    assert len(first.pairs) == 4 and first.pairs == again.pairs
    assert first.counts["shifted"] == 10 and first.counts["selected"] == 4


def test_sft_record_is_the_p1_prompt_with_the_aware_answer() -> None:
    instrument = load_instrument("wvs_culturespa")
    questions = [q for q in seed_questions(instrument) if q.id == "Q1"]
    record = sft_records(instrument, questions, crqpc(ANSWERS).pairs[:1])[0]
    assert record["country"] == "CN" and record["answer"] == 4 and record["unaware_answer"] == 1
    system, user, assistant = record["messages"]
    assert system["content"].startswith("You are a real person with a Chinese cultural background.")
    assert "#Question: How important is family in your life?" in user["content"]
    assert "#Options: 1.Very important 2.Rather important" in user["content"]
    assert assistant == {"role": "assistant", "content": "4"}


def test_rds_samples_answered_pairs_whether_shifted_or_not() -> None:
    selection = rds(ANSWERS)
    kept = {(pair.question_id, pair.country) for pair in selection.pairs}
    assert kept == {("Q1", "US"), ("Q2", "US"), ("Q1", "CN"), ("Q2", "DE")}  # unanswered pairs left out
    assert selection.method == "rds" and selection.counts == {"answered": 4, "selected": 4}
    assert crqpc([_answer("Q1", None, 1), _answer("Q1", "US", 1)]).pairs == []
