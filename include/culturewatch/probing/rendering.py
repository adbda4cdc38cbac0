"""One entry point for every instrument kind: the messages of a cell, and the question a judge sees
(each asked of the instrument's kind, `culturewatch.kinds`)."""

from __future__ import annotations

from culturewatch.instruments.loader import AnyInstrument
from culturewatch.kinds import kind_of
from culturewatch.probing.cells import ProbeCell


def render_messages(instrument: AnyInstrument, cell: ProbeCell) -> list[dict[str, str]]:
    return kind_of(instrument).render_messages(instrument, cell)


def judge_question(instrument: AnyInstrument, cell: ProbeCell) -> str:
    """The question with its options numbered by position from 1, as the option judge is shown it."""
    return kind_of(instrument).judge_question(instrument, cell)
