import pytest

from culturewatch.probing.parse import PARSER_VERSION, parse_answer

AGREE = ["strongly agree", "agree", "undecided", "disagree", "strongly disagree"]


@pytest.mark.parametrize(
    ("text", "answer", "status"),
    [
        ("2 - very important", 2.0, "ok"),  # Sukiennik Table 1's sample response
        ("(3)", 3.0, "ok"),
        ("(1) of utmost importance", 1.0, "ok"),
        ("My answer is 4.", 4.0, "ok"),
        ("I disagree.", 4.0, "ok"),
        ("I strongly disagree with the statement", 5.0, "ok"),  # not also "disagree"
        ("Undecided", 3.0, "ok"),
        ("1 or 2", None, "unparseable"),  # conflicting numbers: never a guess
        ("I choose 3 out of 5", None, "unparseable"),
        ("I agree and I disagree", None, "unparseable"),
        ("7", None, "unparseable"),  # out of range
        ("3.5", None, "unparseable"),
        ("", None, "unparseable"),
        ("As an AI, I cannot answer that.", None, "refusal"),
        (None, None, "error"),
        ("٣ - إلى حد ما", 3.0, "ok"),  # Arabic-Indic digit
        ("۴", 4.0, "ok"),  # Persian digit
        ("উত্তর: ২", 2.0, "ok"),  # Bengali digit
        ("उत्तर ५", 5.0, "ok"),  # Devanagari digit
        ("๑", 1.0, "ok"),  # Thai digit
        ("（３）", 3.0, "ok"),  # full-width digit and parentheses
    ],
)
def test_parse_answer(text: str | None, answer: float | None, status: str) -> None:
    parsed = parse_answer(text, 1, 5, AGREE)
    assert (parsed.answer, parsed.status) == (answer, status)


def test_parser_version_is_semver() -> None:
    assert PARSER_VERSION.count(".") == 2
