"""The answer parser against its generalisation set (tests/parser_corpus/fresh/labelled.csv):
240 real replies captured and labelled after the parser was tuned, kept as a regression test.

Its labels come from reading each reply, before the parser was run on it (see the set's
README). Parser 1.4.0 read 226/240 (94.2%; classification 155/160, cot 36/40, scenario
35/40); 1.5.0 reads 234/240.
"""

from collections import Counter

import pytest

from culturewatch.reference.languages import load_languages
from tests.parser_corpus.evaluate import FRESH_SET, load_corpus, report, score

ROWS = load_corpus(FRESH_SET)
PARSED_STYLES = ("classification", "cot")  # what production parses; scenario replies go to the judge


def test_the_set_is_fresh_real_and_covers_every_language_style_and_two_models() -> None:
    assert len(ROWS) >= 200
    assert len({row["id"] for row in ROWS}) == len(ROWS)
    assert {language.language_code for language in load_languages()} == {row["language"] for row in ROWS}
    assert {row["style"] for row in ROWS} == {"classification", "cot", "scenario"}
    models = Counter(row["source"].split("@")[0] for row in ROWS)
    assert models.keys() == {"qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-0.5b-instruct"}  # embedded + test
    assert "hand-written" not in models
    for style in ("classification", "cot", "scenario"):
        languages = {row["language"] for row in ROWS if row["style"] == style}
        assert len(languages) == 20, style


@pytest.mark.parametrize(("styles", "floor"), [(PARSED_STYLES, 0.99), (("scenario",), 0.9)])
def test_parser_accuracy_on_the_fresh_set(styles: tuple[str, ...], floor: float) -> None:
    scored = score([row for row in ROWS if row["style"] in styles])
    accuracy = sum(item.correct for item in scored) / len(scored)
    print(report(scored))
    assert accuracy >= floor, report(scored)


def test_the_parser_never_reads_a_wrong_option_in_the_styles_it_parses() -> None:
    """A miss may be unparseable (the judge or a person reads it); a wrong option is a guess."""
    wrong = [
        item
        for item in score([row for row in ROWS if row["style"] in PARSED_STYLES])
        if item.parsed.status == "ok" and not item.correct
    ]
    assert not wrong, [(item.row["id"], item.row["response_text"][:60]) for item in wrong]
