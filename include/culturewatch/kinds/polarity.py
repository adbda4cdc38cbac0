"""The polarity kind (Rystrøm et al.'s "imagine surveying 10 people" prompts): no options, no
persona (the prompt language stands for the culture); a judge labels every respondent's stance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from culturewatch.config.schema import ProbeGrid
from culturewatch.errors import CulturewatchError
from culturewatch.instruments.loader import load_polarity_instrument
from culturewatch.instruments.polarity import ALL, SAMPLE, VARIANT_PATTERN, PolarityInstrument
from culturewatch.kinds.grid import SETTING_LANGUAGE, check_subset, chosen_items
from culturewatch.probing import polarity_prompts
from culturewatch.probing.cells import Pair, ProbeCell

if TYPE_CHECKING:
    from culturewatch.kinds.protocol import ReplyReading
    from culturewatch.probing.client import ChatClient, ChatResult


class PolarityKind:
    name = "polarity"
    vsm_marts = False

    def load(self, instrument_id: str, directory: Path | None) -> PolarityInstrument:
        return load_polarity_instrument(instrument_id, directory)

    def country_languages(self, grid: ProbeGrid, instrument: PolarityInstrument) -> list[Pair]:
        check_subset("strategies", grid.strategies, {"unaware"}, instrument.id)
        if grid.countries != "all":
            raise CulturewatchError(
                f"grid.countries: {instrument.id!r} asks no persona (the prompt language stands for the "
                f"culture); leave countries as 'all'"
            )
        languages: set[str] = set()
        for setting in grid.settings:
            if setting in ("aligned", "full_grid"):  # every language is its own culture's
                languages.update(instrument.languages)
            else:
                languages.add(SETTING_LANGUAGE[setting])
        return [(None, language) for language in sorted(languages)]

    def cells(self, grid: ProbeGrid, instrument: PolarityInstrument, pairs: list[Pair]) -> list[ProbeCell]:
        check_subset("styles", grid.styles, {"scenario"}, instrument.id)
        for variant in grid.variants:
            if variant not in (SAMPLE, ALL) and not VARIANT_PATTERN.match(variant):
                raise CulturewatchError(
                    f"grid.variants: {variant!r} unknown for {instrument.id!r}; use {SAMPLE!r} (the paper's "
                    f"sampled prompts), {ALL!r}, or prompt names like 'tpl00-var0'"
                )
        items = chosen_items(grid, instrument)
        return [
            ProbeCell(
                instrument.id, prompt.item_id, None, language, "scenario", "unaware", prompt.variant, trial
            )
            for _, language in pairs
            for trial in range(grid.trials)
            for prompt in instrument.select(language, items, grid.variants)
        ]

    def render_messages(self, instrument: PolarityInstrument, cell: ProbeCell) -> list[dict[str, str]]:
        return polarity_prompts.render_messages(instrument, cell)

    def judge_question(self, instrument: PolarityInstrument, cell: ProbeCell) -> str:
        raise CulturewatchError(
            f"{instrument.id!r} has no options to judge: its replies are labelled by the polarity judge"
        )

    def rendered_texts(
        self, instrument: PolarityInstrument, language: str, country: str
    ) -> list[tuple[str, str]]:
        return [
            (f"prompt {item} {variant}", prompt.text())
            for (item, variant), prompt in instrument.prompts[language].items()
        ]

    async def read(
        self,
        instrument: PolarityInstrument,
        cell: ProbeCell,
        result: ChatResult,
        judge: ChatClient | None,
        use_logprobs: bool,
    ) -> ReplyReading:
        """The polarity judge's stance per respondent; the row's status says whether any was labelled."""
        from culturewatch.kinds.polarity_reading import read_polarity_reply  # the judge, lingua: when asked

        return await read_polarity_reply(instrument, cell, result, judge)

    def allowed_countries(self, instrument: PolarityInstrument) -> list[str]:
        return []  # no persona: the prompt language stands for the culture

    def allowed_variants(self, instrument: PolarityInstrument) -> list[str]:
        return sorted({variant for prompts in instrument.prompts.values() for _, variant in prompts})

    def item_scales(self, instrument: PolarityInstrument) -> dict[str, tuple[int, int]] | None:
        return None


KIND = PolarityKind()
