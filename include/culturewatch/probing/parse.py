"""Read the chosen option from a model's reply. Never guesses: conflicting numbers are unparseable."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

PARSER_VERSION = "1.2.0"

ParseStatus = Literal["ok", "unparseable", "refusal", "error"]

_NUMBER = re.compile(r"(?<![\d.])\d+(?![\d.]*\d)")
_REFUSAL = re.compile(
    r"\b(as an ai|i cannot|i can't|i am unable|i'm unable|i do not have personal|"
    r"i don't have personal|cannot answer|can't answer)\b",
    re.IGNORECASE,
)


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


def _labels_mentioned(text: str, labels: list[str]) -> set[int]:
    """Indexes of the option labels found whole in `text`; a label found only inside a longer
    label's match ("disagree" inside "strongly disagree") does not count."""
    lowered = text.lower()
    spans: list[tuple[int, int, int]] = []
    for index, label in enumerate(labels):
        for match in re.finditer(rf"(?<!\w){re.escape(label.lower())}(?!\w)", lowered):
            spans.append((match.start(), match.end(), index))
    return {
        index
        for start, end, index in spans
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
    }


def parse_answer(text: str | None, scale_min: int, scale_max: int, labels: list[str]) -> ParsedAnswer:
    """The option number in `text`: one distinct in-scale number, else one exact option label."""
    if text is None:
        return ParsedAnswer(None, "error")
    text = normalise_digits(text)
    numbers = {int(match) for match in _NUMBER.findall(text)}
    in_scale = {number for number in numbers if scale_min <= number <= scale_max}
    if len(in_scale) == 1:
        return ParsedAnswer(float(in_scale.pop()), "ok")
    if not numbers:
        chosen = _labels_mentioned(text, labels)
        if len(chosen) == 1:
            return ParsedAnswer(float(scale_min + chosen.pop()), "ok")
    if _REFUSAL.search(text):
        return ParsedAnswer(None, "refusal")
    return ParsedAnswer(None, "unparseable")


def parse_final_answer(
    text: str | None, marker: str, scale_min: int, scale_max: int, labels: list[str]
) -> ParsedAnswer:
    """A chain-of-thought reply: the answer after the last final-answer marker ("Answer: 3");
    without a marker, the whole reply (reasoning that cites several options is unparseable)."""
    if text is None:
        return ParsedAnswer(None, "error")
    # "Réponse :", "Réponse:", "Réponse\u00a0:" and "答案：" all match their marker
    word = marker.rstrip(" \u00a0:：")
    matches = list(re.finditer(rf"{re.escape(word)}\s*[:：]", text, re.IGNORECASE))
    segment = text[matches[-1].end() :] if matches else text
    return parse_answer(segment, scale_min, scale_max, labels)
