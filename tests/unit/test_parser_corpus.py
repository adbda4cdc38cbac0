"""The answer parser against the labelled corpus (tests/parser_corpus/corpus.csv).

The corpus was committed before the parser was tuned against it; its labels come from
annotators reading each reply, not from the parser. See tests/parser_corpus/README.md.
"""

from collections import Counter

import pytest

from culturewatch.reference.languages import load_languages
from tests.parser_corpus.evaluate import load_corpus, report, score

ROWS = load_corpus()
CASES = {
    "digit",
    "parenthesized",
    "dash_label",
    "label_only",
    "native_digit",
    "number_word",
    "cot_final",
    "refusal",
    "hedge",
    "conflicting",
    "out_of_range",
    "cot_number_word",
    "option_phrase",
}


def test_corpus_covers_every_language_and_case_with_real_replies() -> None:
    assert len(ROWS) >= 500
    per_language = Counter(row["language"] for row in ROWS)
    assert {language.language_code for language in load_languages()} == set(per_language)
    assert min(per_language.values()) >= 15, per_language
    assert CASES <= {row["case"] for row in ROWS}
    real = [row for row in ROWS if row["source"] != "hand-written"]
    assert len(real) * 3 >= len(ROWS)
    assert any(row["source"].startswith("qwen2.5-coder-1.5b-instruct") for row in real)  # the embedded model


def test_parser_accuracy_is_at_least_99_percent() -> None:
    scored = score(ROWS)
    accuracy = sum(item.correct for item in scored) / len(scored)
    print(report(scored))
    assert accuracy >= 0.99, report(scored)


@pytest.mark.parametrize("status", ["ok", "refusal", "unparseable"])
def test_every_status_is_represented(status: str) -> None:
    assert any(row["expected_status"] == status for row in ROWS)
