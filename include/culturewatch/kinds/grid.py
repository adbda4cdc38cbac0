"""Checks and cell orders the kinds share: a grid's subsets against an instrument, and the cells of
instruments whose items have numbered options (VSM, CultureSPA)."""

from __future__ import annotations

from typing import Any

from culturewatch.config.schema import ProbeGrid
from culturewatch.errors import CulturewatchError
from culturewatch.probing.cells import Pair, ProbeCell
from culturewatch.probing.variants import OptionInstrument

SETTING_LANGUAGE = {"english": "en", "chinese": "zh"}
"""The prompt language of each fixed-language setting."""


def check_subset(what: str, asked: list[str], allowed: set[str], instrument_id: str) -> None:
    unknown = sorted(set(asked) - allowed)
    if unknown:
        raise CulturewatchError(
            f"grid.{what}: {unknown} not supported by instrument {instrument_id!r}; "
            f"it supports {sorted(allowed)}"
        )


def chosen_items(grid: ProbeGrid, instrument: Any) -> list[str] | None:
    """The grid's item subset (None = all), checked against the instrument."""
    if grid.items == "all":
        return None
    unknown = sorted(set(grid.items) - set(instrument.item_ids))
    if unknown:
        raise CulturewatchError(f"grid.items: {unknown} are not items of {instrument.id!r}")
    return list(grid.items)


def option_variants(grid: ProbeGrid, instrument_id: str, paraphrases: set[str]) -> list[str]:
    """The grid's variants: base, reversed_options or one of the instrument's paraphrases."""
    unknown_variants = sorted(set(grid.variants) - {"base", "reversed_options"} - paraphrases)
    if unknown_variants:
        raise CulturewatchError(
            f"grid.variants: {unknown_variants} unknown; {instrument_id!r} has base, reversed_options"
            + "".join(f", {name}" for name in sorted(paraphrases))
        )
    return list(grid.variants)


def option_cells(
    grid: ProbeGrid, instrument: Any, pairs: list[Pair], paraphrases: set[str]
) -> list[ProbeCell]:
    """The cells of an option instrument: pair × strategy × style × variant × trial × item."""
    variants = option_variants(grid, instrument.id, paraphrases)
    chosen = chosen_items(grid, instrument)
    items = [item for item in instrument.item_ids if chosen is None or item in chosen]
    return [
        ProbeCell(instrument.id, item, country, language, style, strategy, variant, trial)
        for country, language in pairs
        for strategy in grid.strategies
        if (strategy == "unaware") == (country is None)
        for style in grid.styles
        for variant in variants
        for trial in range(grid.trials)
        for item in items
    ]


def option_scales(instrument: OptionInstrument) -> dict[str, tuple[int, int]]:
    """Each item's answer scale (min, max)."""
    scales = {}
    for item_id in instrument.item_ids:
        scale = instrument.scale_for(item_id)
        scales[item_id] = (scale.min, scale.max)
    return scales
