"""Read the chosen option from a model's reply. Never guesses: conflicting numbers are unparseable."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

MAX_NUMBER_DIGITS = 9
"""Digits read as a number; a longer run of digits is no option of any scale."""

PARSER_VERSION = "1.5.0"

ParseStatus = Literal["ok", "unparseable", "refusal", "error"]

_NUMBER = re.compile(r"(?<![\d.])\d+(?![\d.]*\d)")
MAX_WORDS_FOR_NUMBER_WORD = 3
# A number word right after an option word ("I would pick option three") counts in a reply of
# up to this many words.
MAX_WORDS_FOR_OPTION_PHRASE = 12
# A cut-off reply's last words count as the one option label they begin, if at least this long.
MIN_CUT_OFF_LABEL_CHARS = 3
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


@lru_cache(maxsize=4096)
def _pattern(phrase: str) -> str:
    """A phrase as a whole word or words; in unspaced scripts, anywhere."""
    escaped = re.escape(phrase.lower().replace("\u2019", "'"))
    if _unspaced(phrase):
        return escaped
    return rf"(?<!\w){escaped}(?!\w)"


@lru_cache(maxsize=4096)
def _unspaced(phrase: str) -> bool:
    """Whether the phrase has a character of a script written without spaces (remembered: the
    same labels and their prefixes are looked at for every reply)."""
    return any(unicodedata.name(char, "").startswith(_UNSPACED) for char in phrase)


def _number_words_said(text: str, number_words: dict[int, str], option_words: Sequence[str] = ()) -> set[int]:
    """Values whose number word is the answer. Only short replies count ("four", "I choose four"):
    "one", Turkish "bir" ("a") or Vietnamese "một" are everyday words in longer text. In scripts
    without spaces the word must be the whole reply ("三", "三。"): 一 is inside 一个 and 不一定,
    Thai สาม ("three") inside ไม่สามารถ ("cannot"). A number word right after one of the
    language's option words ("option three", "opción tres", "选项三") also counts in a short
    sentence ("I would pick option three.")."""
    bare = re.sub(r"[\W_]+", "", text.lower())
    spaced = {value: word for value, word in number_words.items() if not _unspaced(word)}
    said = {value for value, word in number_words.items() if _unspaced(word) and bare == word.lower()}
    n_words = len(re.findall(r"\w+", text))
    if spaced and n_words <= MAX_WORDS_FOR_NUMBER_WORD:
        values = sorted(spaced)
        said |= {values[index] for index in _phrases_mentioned(text, [spaced[v] for v in values])}
    if option_words and n_words <= MAX_WORDS_FOR_OPTION_PHRASE:
        said |= _option_phrases_said(text, number_words, option_words)
    return said


def _option_phrases_said(text: str, number_words: dict[int, str], option_words: Sequence[str]) -> set[int]:
    """Values named as "<option word> <number word>" (a colon, "#" or "no." may sit between)."""
    lowered = text.lower().replace("\u2019", "'")
    said = set()
    for value, word in number_words.items():
        for option in option_words:
            phrase = rf"{_pattern(option)}\s*(?:[:#№]|no\.)?\s*{re.escape(word.lower())}(?!\w)"
            if re.search(phrase, lowered):
                said.add(value)
    return said


def _cut_off_label_span(lowered: str, labels: list[str]) -> tuple[int, int, int] | None:
    """(start, end, index) when the reply ends inside one label: its last characters are a proper
    beginning of exactly one label (at least MIN_CUT_OFF_LABEL_CHARS long, not itself a label,
    starting a word), as when a reply is cut off mid-label ("(1) of very little or"). A
    beginning shared by several labels names none of them."""
    text = lowered.rstrip()
    labels_lowered = [label.lower().replace("\u2019", "'") for label in labels]
    found = []
    for index, label in enumerate(labels_lowered):
        for length in range(len(label) - 1, MIN_CUT_OFF_LABEL_CHARS - 1, -1):
            prefix = label[:length]
            start = len(text) - length
            if not text.endswith(prefix) or prefix.strip() != prefix or prefix in labels_lowered:
                continue
            if start > 0 and text[start - 1].isalnum() and not _unspaced(prefix):
                continue
            found.append((start, len(text), index, prefix))
            break
    if not found:
        return None
    start, end, index, prefix = max(found, key=lambda span: span[1] - span[0])
    if sum(label.startswith(prefix) for label in labels_lowered) != 1:
        return None
    return start, end, index


def _phrases_mentioned(text: str, phrases: list[str], cut_off: bool = False) -> set[int]:
    """Indexes of the phrases found in `text`; one found only inside a longer phrase's match
    ("disagree" inside "strongly disagree") does not count. Curly apostrophes match straight ones.
    With `cut_off`, a reply that ends inside one phrase counts as naming it (and the shorter
    phrases inside that cut-off end do not count: "(1) খুবই কম গুরুত্বপূর্ণ ব", cut off in option 1,
    does not also name option 2, "কম গুরুত্বপূর্ণ")."""
    lowered = text.lower().replace("\u2019", "'")
    spans: dict[tuple[int, int], set[int]] = {}
    for index, phrase in enumerate(phrases):
        for match in re.finditer(_pattern(phrase), lowered):
            spans.setdefault((match.start(), match.end()), set()).add(index)
    ending = _cut_off_label_span(lowered, phrases) if cut_off else None
    if ending is not None:
        spans.setdefault(ending[:2], set()).add(ending[2])
    # a span lies inside a longer one iff a span before it (by start, the longest first) ends at or
    # after its end: one sweep, O(n log n) in the matches, not every pair compared (a long hostile
    # reply repeating a label took 15 s for 48 kB that way)
    found: set[int] = set()
    furthest = -1
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if furthest < end:
            found |= spans[(start, end)]
        furthest = max(furthest, end)
    return found


@dataclass(frozen=True)
class AnswerOptions:
    """What a reply is read against: the shown scale's numbers and labels, and the prompt
    language's number words, refusal phrases and words for "option" ("option three")."""

    scale_min: int
    scale_max: int
    labels: list[str]
    number_words: dict[int, str] = field(default_factory=dict)
    refusals: Sequence[str] = ()
    option_words: Sequence[str] = ()


def parse_answer(text: str | None, options: AnswerOptions) -> ParsedAnswer:
    """The option number in `text`: one distinct in-scale number (any script's digits), else one
    option label, else one number word; a refusal phrase makes it a refusal; anything else,
    including several candidates, is unparseable (never a guess)."""
    if text is None:
        return ParsedAnswer(None, "error")
    scale_min, scale_max = options.scale_min, options.scale_max
    labels, refusals = options.labels, options.refusals
    text = normalise_digits(text)
    # a number longer than any scale is out of scale (int() refuses over 4,300 digits)
    numbers = {int(match) if len(match) <= MAX_NUMBER_DIGITS else math.inf for match in _NUMBER.findall(text)}
    in_scale = {number for number in numbers if scale_min <= number <= scale_max}
    if len(in_scale) == 1:
        number = in_scale.pop()
        named = _phrases_mentioned(text, labels, cut_off=True)
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
        said = _number_words_said(text, options.number_words, options.option_words) if not chosen else set()
        if len(said) == 1:
            return ParsedAnswer(float(said.pop()), "ok")
    elif refusals and _phrases_mentioned(text, list(refusals)):
        return ParsedAnswer(None, "refusal")
    return ParsedAnswer(None, "unparseable")


def parse_final_answer(text: str | None, marker: str, options: AnswerOptions) -> ParsedAnswer:
    """A chain-of-thought reply: the answer on its final-answer lines ("Answer: 3"). Each marker's
    answer is the rest of its line ("Answer: 3" then reasoning below it), else the text up to the
    next marker ("Answer:" then "3" on the next line); in a script written without spaces a number
    word that opens that line is the answer ("答案：三，因为…"). Answer lines that agree give the
    answer; lines that disagree name two options: unparseable. Without a marker, or when no
    answer line can be read (an echoed instruction: 'Answer: <number>'), the whole reply
    (reasoning that cites several options is unparseable)."""
    if text is None:
        return ParsedAnswer(None, "error")
    # "Réponse :", "Réponse:", "Réponse\u00a0:" and "答案：" all match their marker
    word = marker.rstrip(" \u00a0:：")
    matches = list(re.finditer(rf"{re.escape(word)}\s*[:：]", text, re.IGNORECASE))
    answers = set()
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        segment = text[match.end() : end]
        line = segment.split("\n", 1)[0]
        parsed = parse_answer(line, options) if line.strip() else None
        if parsed is None or parsed.status == "unparseable":
            leading = _leading_unspaced_number_word(line, options.number_words)
            parsed = ParsedAnswer(float(leading), "ok") if leading is not None else None
        if parsed is None:
            parsed = parse_answer(segment, options)
        if parsed.status != "unparseable":
            answers.add((parsed.answer, parsed.status))
    if len(answers) == 1:
        answer, status = answers.pop()
        return ParsedAnswer(answer, status)  # type: ignore[arg-type]
    if answers:
        return ParsedAnswer(None, "unparseable")
    return parse_answer(text, options)


def _leading_unspaced_number_word(line: str, number_words: dict[int, str]) -> int | None:
    """The value whose number word, in a script written without spaces, opens `line` as a word of
    its own ("三，因为…", "สาม เพราะ…"; not 三个, not สามารถ)."""
    opening = line.lstrip(" \t\u3000<([（「【\"'“")
    for value, word in number_words.items():
        if _unspaced(word) and re.match(rf"{re.escape(word)}(?!\w)", opening):
            return value
    return None
