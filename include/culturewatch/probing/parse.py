"""Read the chosen option from a model's reply. Never guesses: conflicting numbers are unparseable."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

PARSER_VERSION = "1.4.0"

ParseStatus = Literal["ok", "unparseable", "refusal", "error"]

_NUMBER = re.compile(r"(?<![\d.])\d+(?![\d.]*\d)")
MAX_WORDS_FOR_NUMBER_WORD = 3
# Scripts written without spaces between words: a phrase in them is found as a substring.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI")


@dataclass(frozen=True)
class ParsedAnswer:
    answer: float | None
    status: ParseStatus


def normalise_digits(text: str) -> str:
    """Native decimal digits (Arabic-Indic, Persian, Bengali, Devanagari, Thai, full-width, …)
    as ASCII, so "٣" and "৩" and "３" read as 3."""
    return "".join(
        str(unicodedata.decimal(char)) if char.isdecimal() and not char.isascii() else char for char in text
    )


def _pattern(phrase: str) -> str:
    """A phrase as a whole word or words; in unspaced scripts, anywhere."""
    escaped = re.escape(phrase.lower().replace("\u2019", "'"))
    if _unspaced(phrase):
        return escaped
    return rf"(?<!\w){escaped}(?!\w)"


def _unspaced(phrase: str) -> bool:
    return any(unicodedata.name(char, "").startswith(_UNSPACED) for char in phrase)


def _number_words_said(text: str, number_words: dict[int, str]) -> set[int]:
    """Values whose number word is the answer. Only short replies count ("four", "I choose four"):
    "one", Turkish "bir" ("a") or Vietnamese "một" are everyday words in longer text. In scripts
    without spaces the word must be the whole reply ("三", "三。"): 一 is inside 一个 and 不一定,
    Thai สาม ("three") inside ไม่สามารถ ("cannot")."""
    bare = re.sub(r"[\W_]+", "", text.lower())
    spaced = {value: word for value, word in number_words.items() if not _unspaced(word)}
    said = {value for value, word in number_words.items() if _unspaced(word) and bare == word.lower()}
    if spaced and len(re.findall(r"\w+", text)) <= MAX_WORDS_FOR_NUMBER_WORD:
        values = sorted(spaced)
        said |= {values[index] for index in _phrases_mentioned(text, [spaced[v] for v in values])}
    return said


def _phrases_mentioned(text: str, phrases: list[str]) -> set[int]:
    """Indexes of the phrases found in `text`; one found only inside a longer phrase's match
    ("disagree" inside "strongly disagree") does not count. Curly apostrophes match straight ones."""
    lowered = text.lower().replace("\u2019", "'")
    spans: list[tuple[int, int, int]] = []
    for index, phrase in enumerate(phrases):
        for match in re.finditer(_pattern(phrase), lowered):
            spans.append((match.start(), match.end(), index))
    return {
        index
        for start, end, index in spans
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
    }


def parse_answer(
    text: str | None,
    scale_min: int,
    scale_max: int,
    labels: list[str],
    number_words: dict[int, str] | None = None,
    refusals: Sequence[str] = (),
) -> ParsedAnswer:
    """The option number in `text`: one distinct in-scale number (any script's digits), else one
    option label, else one number word; a refusal phrase makes it a refusal; anything else,
    including several candidates, is unparseable (never a guess)."""
    if text is None:
        return ParsedAnswer(None, "error")
    text = normalise_digits(text)
    numbers = {int(match) for match in _NUMBER.findall(text)}
    in_scale = {number for number in numbers if scale_min <= number <= scale_max}
    if len(in_scale) == 1:
        number = in_scale.pop()
        named = _phrases_mentioned(text, labels)
        if named and number - scale_min not in named:
            # "(1) very important" when option 1 is "of utmost importance": number and label
            # disagree, and which one the model meant is a guess
            return ParsedAnswer(None, "unparseable")
        return ParsedAnswer(float(number), "ok")
    if not numbers:
        chosen = _phrases_mentioned(text, labels)
        if len(chosen) == 1:
            return ParsedAnswer(float(scale_min + chosen.pop()), "ok")
        if refusals and _phrases_mentioned(text, list(refusals)):
            return ParsedAnswer(None, "refusal")
        said = _number_words_said(text, number_words or {}) if not chosen else set()
        if len(said) == 1:
            return ParsedAnswer(float(said.pop()), "ok")
    elif refusals and _phrases_mentioned(text, list(refusals)):
        return ParsedAnswer(None, "refusal")
    return ParsedAnswer(None, "unparseable")


def parse_final_answer(
    text: str | None,
    marker: str,
    scale_min: int,
    scale_max: int,
    labels: list[str],
    number_words: dict[int, str] | None = None,
    refusals: Sequence[str] = (),
) -> ParsedAnswer:
    """A chain-of-thought reply: the answer after the last final-answer marker ("Answer: 3");
    without a marker, the whole reply (reasoning that cites several options is unparseable)."""
    if text is None:
        return ParsedAnswer(None, "error")
    # "Réponse :", "Réponse:", "Réponse\u00a0:" and "答案：" all match their marker
    word = marker.rstrip(" \u00a0:：")
    matches = list(re.finditer(rf"{re.escape(word)}\s*[:：]", text, re.IGNORECASE))
    segment = text[matches[-1].end() :] if matches else text
    return parse_answer(segment, scale_min, scale_max, labels, number_words, refusals)
