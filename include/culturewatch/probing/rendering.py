"""One entry point for every instrument kind: the messages of a cell, and the question a judge sees."""

from __future__ import annotations

from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.instruments.loader import AnyInstrument
from culturewatch.instruments.polarity import PolarityInstrument
from culturewatch.probing import culturespa_prompts, polarity_prompts, prompts
from culturewatch.probing.plan import ProbeCell
from culturewatch.probing.variants import OptionInstrument


def render_messages(instrument: AnyInstrument, cell: ProbeCell) -> list[dict[str, str]]:
    if isinstance(instrument, CultureSpaInstrument):
        return culturespa_prompts.render_messages(instrument, cell)
    if isinstance(instrument, PolarityInstrument):
        return polarity_prompts.render_messages(instrument, cell)
    return prompts.render_messages(instrument, cell)


def judge_question(instrument: OptionInstrument, cell: ProbeCell) -> str:
    """The question with its options numbered by position from 1, as the option judge is shown it."""
    if isinstance(instrument, CultureSpaInstrument):
        return culturespa_prompts.question_with_options(instrument, cell, first_number=1)
    return prompts.question_with_options(instrument, cell)  # VSM options are numbered from 1
