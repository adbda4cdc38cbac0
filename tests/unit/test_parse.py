import time

import pytest

from culturewatch.probing.parse import PARSER_VERSION, AnswerOptions, parse_answer

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
    parsed = parse_answer(text, AnswerOptions(1, 5, AGREE, WORDS, REFUSALS))
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
    parsed = parse_answer(text, AnswerOptions(1, 5, labels, words, refusals))
    assert (parsed.answer, parsed.status) == (answer, status)


@pytest.mark.parametrize(
    ("text", "answer", "status"),
    [
        ("I would pick option three.", 3.0, "ok"),
        ("My choice: two.", 2.0, "ok"),
        ("Option three or option four, hard to say.", None, "unparseable"),  # two options
        ("Family is option number one for me.", None, "unparseable"),  # "number" is no option word
        (
            "Thinking about my life today, I would probably go for option three if I really had to choose.",
            None,
            "unparseable",
        ),  # long free text: number words are not read
    ],
)
def test_a_number_word_after_an_option_word(text: str, answer: float | None, status: str) -> None:
    parsed = parse_answer(text, AnswerOptions(1, 5, AGREE, WORDS, REFUSALS, ["option", "choice"]))
    assert (parsed.answer, parsed.status) == (answer, status)


BN_IMPORTANCE = [  # reversed order, as shown: option 1 contains option 2's words
    "খুবই কম গুরুত্বপূর্ণ বা গুরুত্বহীন",
    "কম গুরুত্বপূর্ণ",
    "মাঝারি গুরুত্বপূর্ণ",
    "খুব গুরুত্বপূর্ণ",
    "সর্বাধিক গুরুত্বপূর্ণ",
]


@pytest.mark.parametrize(
    ("text", "answer", "status"),
    [
        ("(1) খুবই কম গুরুত্বপূর্ণ বা গ", 1.0, "ok"),  # cut off inside option 1: not option 2 too
        ("(2) খুবই কম গুরুত্বপূর্ণ বা গ", None, "unparseable"),  # number 2, words of option 1
        ("(2) কম গুরুত্বপূর্ণ", 2.0, "ok"),
        ("(4) খু", 4.0, "ok"),  # too short a fragment to name any option
    ],
)
def test_a_reply_cut_off_inside_a_label(text: str, answer: float | None, status: str) -> None:
    parsed = parse_answer(text, AnswerOptions(1, 5, BN_IMPORTANCE))
    assert (parsed.answer, parsed.status) == (answer, status)


AGREEMENT = ["strongly agree", "agree", "undecided", "disagree", "strongly disagree"]


def test_a_run_of_digits_too_long_for_int_is_no_option() -> None:
    # Python's int() refuses more than 4,300 digits; a hostile reply must not crash the probe
    assert parse_answer("9" * 5000, AnswerOptions(1, 5, AGREEMENT)).status == "unparseable"
    assert parse_answer("2, not " + "7" * 5000, AnswerOptions(1, 5, AGREEMENT)).answer == 2.0


def test_a_long_reply_repeating_labels_parses_in_linear_time() -> None:
    # every pair of label matches was compared: 48 kB of "agree " took 15 s (64 kB is the reply cap)
    reply = "strongly disagree " + "agree " * 10_000
    started = time.perf_counter()
    parsed = parse_answer(reply, AnswerOptions(1, 5, AGREEMENT))
    assert time.perf_counter() - started < 2.0
    assert (parsed.answer, parsed.status) == (None, "unparseable")  # two options named: never a guess
    assert parse_answer("agree " * 10_000, AnswerOptions(1, 5, AGREEMENT)).answer == 2.0
