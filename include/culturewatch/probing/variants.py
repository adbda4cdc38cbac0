"""Prompt variants: how a variant changes what is shown, and how its answer maps back.

`base` shows the options in the item's own order. `reversed_options` shows them in reverse
order, still numbered from the scale's minimum, so a model that always picks the first or
the lowest number is caught: its answers, mapped back to the item's own scale, flip.
"""

from __future__ import annotations

from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.instruments.schema import Instrument
from culturewatch.probing.cells import ProbeCell
from culturewatch.probing.distribution import OptionDistribution

OptionInstrument = Instrument | CultureSpaInstrument
"""Instruments whose items have numbered options."""


def displayed_labels(instrument: OptionInstrument, cell: ProbeCell) -> list[str]:
    """The option labels in the order this cell's prompt shows them."""
    labels = instrument.option_labels(cell.prompt_language, cell.item_id)
    return labels[::-1] if cell.variant == "reversed_options" else labels


def to_item_scale(instrument: OptionInstrument, cell: ProbeCell, displayed: float | None) -> float | None:
    """An answer given as a displayed option number, on the item's own scale."""
    if displayed is None or cell.variant != "reversed_options":
        return displayed
    scale = instrument.scale_for(cell.item_id)
    return scale.min + scale.max - displayed


def distribution_on_item_scale(cell: ProbeCell, shown: OptionDistribution) -> OptionDistribution:
    """Option probabilities read in shown order, in the item's own order."""
    return shown.reversed() if cell.variant == "reversed_options" else shown
