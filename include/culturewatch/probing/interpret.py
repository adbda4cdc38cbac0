"""From a model reply to the row's answer: parsed text, logprobs, or an LLM judge's verdict."""

from __future__ import annotations

from dataclasses import dataclass

from culturewatch.probing.cells import ProbeCell
from culturewatch.probing.client import ChatResult
from culturewatch.probing.distribution import option_distribution
from culturewatch.probing.judge import judged_option
from culturewatch.probing.parse import AnswerOptions, ParsedAnswer, parse_answer, parse_final_answer
from culturewatch.probing.variants import (
    OptionInstrument,
    displayed_labels,
    distribution_on_item_scale,
    to_item_scale,
)


@dataclass(frozen=True)
class Reading:
    answer: float | None
    answer_probs: list[float] | None
    method: str  # parsed | logprobs | judge
    option_mass: float | None
    status: str  # ok | unparseable | refusal | error


def answer_options(
    instrument: OptionInstrument, item_id: str, language: str, labels: list[str]
) -> AnswerOptions:
    """What a reply to `item_id` in `language`, shown `labels`, is read against."""
    scale = instrument.scale_for(item_id)
    return AnswerOptions(
        scale.min,
        scale.max,
        labels,
        instrument.number_words(language),  # like digits, a number word names a shown option number
        instrument.refusal_phrases(language),
        instrument.option_words(language),  # "option three"
    )


def parse_reply(
    instrument: OptionInstrument, text: str | None, style: str, language: str, options: AnswerOptions
) -> ParsedAnswer:
    """The reply parsed as its style asks: a chain of thought by its final-answer marker."""
    if style == "cot":
        return parse_final_answer(text, instrument.styles_for(language).final_answer_marker, options)
    return parse_answer(text, options)


def _parsed(instrument: OptionInstrument, cell: ProbeCell, result: ChatResult) -> ParsedAnswer:
    if cell.style == "scenario":  # free text: only a judge can read it
        return ParsedAnswer(None, "error" if result.text is None else "unparseable")
    language = cell.prompt_language
    options = answer_options(instrument, cell.item_id, language, displayed_labels(instrument, cell))
    return parse_reply(instrument, result.text, cell.style, language, options)


def read_reply(
    instrument: OptionInstrument, cell: ProbeCell, result: ChatResult, use_logprobs: bool
) -> Reading:
    """The answer the reply itself gives: its option probabilities when asked for, else its text."""
    if result.error:
        return Reading(None, None, "parsed", None, "error")
    parsed = _parsed(instrument, cell, result)
    scale = instrument.scale_for(cell.item_id)
    if use_logprobs and result.token_logprobs and cell.style == "classification":
        found = option_distribution(result.token_logprobs, scale.min, scale.max)
        if found is not None:
            found = distribution_on_item_scale(cell, found)
            expected = found.expected_value(scale.min)
            return Reading(expected, found.probs, "logprobs", found.option_mass, parsed.status)
    return Reading(to_item_scale(instrument, cell, parsed.answer), None, "parsed", None, parsed.status)


def needs_judge(cell: ProbeCell, reading: Reading) -> bool:
    """Scenario replies always; chain-of-thought replies whose final answer could not be read."""
    if reading.status == "error":
        return False
    return cell.style == "scenario" or (cell.style == "cot" and reading.status == "unparseable")


def read_verdict(instrument: OptionInstrument, cell: ProbeCell, verdict: ChatResult) -> Reading:
    """The judge's option mapped back to the item's scale; "0" (Bravansky's "no option") → unparseable.
    The judge is shown the options numbered by position from 1 (see `judge_question`), so a
    scale whose codes start at 0 cannot be confused with the judge's "0"."""
    if verdict.error:
        return Reading(None, None, "judge", None, "error")
    scale = instrument.scale_for(cell.item_id)
    position = judged_option(verdict.text, 1, scale.size)
    if position is None:
        return Reading(None, None, "judge", None, "unparseable")
    return Reading(
        to_item_scale(instrument, cell, float(scale.min + position - 1)), None, "judge", None, "ok"
    )
