import pytest

from culturewatch.probing.parse import PARSER_VERSION, parse_answer

AGREE = ["strongly agree", "agree", "undecided", "disagree", "strongly disagree"]
WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
REFUSALS = ["as an AI", "I cannot answer"]


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
        ("(1) agree", None, "unparseable"),  # number and label disagree
        ("(5) strongly disagree", 5.0, "ok"),
        ("", None, "unparseable"),
        ("As an AI, I cannot answer that.", None, "refusal"),
        (None, None, "error"),
        ("٣ - إلى حد ما", 3.0, "ok"),  # Arabic-Indic digit
        ("۴", 4.0, "ok"),  # Persian digit
        ("উত্তর: ২", 2.0, "ok"),  # Bengali digit
        ("उत्तर ५", 5.0, "ok"),  # Devanagari digit
        ("๑", 1.0, "ok"),  # Thai digit
        ("（３）", 3.0, "ok"),  # full-width digit and parentheses
        ("I choose four.", 4.0, "ok"),  # number word in a short reply
        ("two or three", None, "unparseable"),  # two number words conflict
        ("It is one of the things I value", None, "unparseable"),  # "one" in longer text is no answer
        ("Someone to share the load with", None, "unparseable"),  # "one" inside a word is not one
    ],
)
def test_parse_answer(text: str | None, answer: float | None, status: str) -> None:
    parsed = parse_answer(text, 1, 5, AGREE, WORDS, REFUSALS)
    assert (parsed.answer, parsed.status) == (answer, status)


def test_parser_version_is_semver() -> None:
    assert PARSER_VERSION.count(".") == 2


@pytest.mark.parametrize(
    ("text", "labels", "words", "refusals", "answer", "status"),
    [
        ("三。", ["非常重要"], {1: "一", 2: "二", 3: "三"}, ["作为人工智能"], 3.0, "ok"),
        (
            "这个问题因人而异，不一定",
            ["非常重要"],
            {1: "一", 2: "二"},
            [],
            None,
            "unparseable",
        ),  # 一 in 不一定
        (
            "作为一个人工智能，我没有个人观点。",
            ["非常重要"],
            {1: "一"},
            ["作为一个人工智能"],
            None,
            "refusal",
        ),
        ("ฉันไม่สามารถตอบได้", ["มาก"], {3: "สาม", 5: "ห้า"}, ["ไม่สามารถตอบ"], None, "refusal"),
        ("ห้ามพูด", ["มาก"], {3: "สาม", 5: "ห้า"}, [], None, "unparseable"),  # ห้า inside ห้าม
        (
            "作为人工智能，我没有个人观点。",
            ["非常重要"],
            {1: "一", 2: "二", 3: "三"},
            ["作为人工智能"],
            None,
            "refusal",
        ),
        ("Ich wähle zwei.", ["sehr wichtig"], {1: "eins", 2: "zwei", 3: "drei"}, [], 2.0, "ok"),
        ("Bir yanıt vermek zor", ["çok önemli"], {1: "bir", 2: "iki"}, [], None, "unparseable"),
        ("sehr wichtig", ["äußerst wichtig", "sehr wichtig"], {}, [], 2.0, "ok"),
        ("ตอบ ๔", ["มาก"], {}, [], 4.0, "ok"),
        (
            "En tant qu\u2019IA, je n'ai pas d'avis.",
            ["très important"],
            {},
            ["en tant qu'IA"],
            None,
            "refusal",
        ),
    ],
)
def test_other_languages(text, labels, words, refusals, answer, status) -> None:
    parsed = parse_answer(text, 1, 5, labels, words, refusals)
    assert (parsed.answer, parsed.status) == (answer, status)
