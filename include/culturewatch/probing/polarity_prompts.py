"""Render value-polarity cells: the hypothetical-survey prompt alone, as the paper sends it
(no system prompt, no persona: the prompt language stands for the culture)."""

from __future__ import annotations

from culturewatch.instruments.polarity import PolarityInstrument
from culturewatch.probing.cells import ProbeCell


def render_messages(instrument: PolarityInstrument, cell: ProbeCell) -> list[dict[str, str]]:
    prompt = instrument.prompt(cell.prompt_language, cell.item_id, cell.variant)
    return [{"role": "user", "content": prompt.text()}]


def judged_topic(instrument: PolarityInstrument, cell: ProbeCell) -> str:
    """The topic as the judge sees it: the wording the prompt used, in the prompt language."""
    return instrument.prompt(cell.prompt_language, cell.item_id, cell.variant).topic
