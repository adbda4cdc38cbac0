"""The CultureSPA kind (Xu et al. 2025's WVS questions): each question on its own scale, English
only, persona strategies P1, P2 and the self-alignment strategies P3, P1+P3, P2+P3."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from culturewatch.config.schema import ProbeGrid
from culturewatch.errors import CulturewatchError
from culturewatch.instruments.culturespa import (
    SELF_ALIGNMENT_SYSTEM_PROMPT,
    CultureSpaInstrument,
    CultureSpaStrategy,
)
from culturewatch.instruments.loader import load_culturespa_instrument
from culturewatch.kinds.grid import check_subset
from culturewatch.kinds.option_kind import OptionKind
from culturewatch.probing import culturespa_prompts
from culturewatch.probing.cells import Pair, ProbeCell

# strategies whose cells name a country: a persona, or (P3) the culture whose answers are shown
_COUNTRY_STRATEGIES = {"aware", "cross_culture", *SELF_ALIGNMENT_SYSTEM_PROMPT}


class CultureSpaKind(OptionKind):
    name = "culturespa"
    vsm_marts = False

    def load(self, instrument_id: str, directory: Path | None) -> CultureSpaInstrument:
        return load_culturespa_instrument(instrument_id, directory)

    def country_languages(self, grid: ProbeGrid, instrument: CultureSpaInstrument) -> list[Pair]:
        unknown_settings = sorted(set(grid.settings) - {"english"})
        if unknown_settings:
            raise CulturewatchError(
                f"grid.settings: {unknown_settings} not possible for {instrument.id!r}: its questions exist "
                f"in English only (settings: [english])"
            )
        self_alignment = sorted(set(grid.strategies) & SELF_ALIGNMENT_SYSTEM_PROMPT.keys())
        if self_alignment and set(grid.styles) != {"classification"}:
            raise CulturewatchError(
                f"grid.strategies: {self_alignment} (P3, P1+P3, P2+P3) exist for the classification style "
                f"only (the paper's template ends in '#Answer:'); grid.styles asks {grid.styles}"
            )
        codes = list(instrument.countries) if grid.countries == "all" else grid.countries
        check_subset("countries", codes, set(instrument.countries), instrument.id)
        pairs: list[Pair] = []
        if "unaware" in grid.strategies:
            pairs.append((None, "en"))
        if _COUNTRY_STRATEGIES & set(grid.strategies):
            pairs += [(code, "en") for code in sorted(codes)]
        return pairs

    def render_messages(self, instrument: CultureSpaInstrument, cell: ProbeCell) -> list[dict[str, str]]:
        return culturespa_prompts.render_messages(instrument, cell)

    def judge_question(self, instrument: CultureSpaInstrument, cell: ProbeCell) -> str:
        return culturespa_prompts.question_with_options(instrument, cell, first_number=1)

    def rendered_texts(
        self, instrument: CultureSpaInstrument, language: str, country: str
    ) -> list[tuple[str, str]]:
        """Each strategy's system prompt, each question as asked, and a question with P3's examples."""
        found = []
        for strategy in get_args(CultureSpaStrategy):
            persona = None if strategy == "unaware" else country
            cell = ProbeCell(
                instrument.id,
                instrument.item_ids[0],
                persona,
                language,
                "classification",
                strategy,
                "base",
                0,
            )
            messages = self.render_messages(instrument, cell)
            found.append((f"system prompt ({strategy})", messages[0]["content"]))
            if strategy == "self_alignment":
                found.append(("question with self-alignment examples", messages[1]["content"]))
        for item in instrument.item_ids:
            cell = ProbeCell(instrument.id, item, country, language, "classification", "aware", "base", 0)
            found.append((f"question {item}", self.render_messages(instrument, cell)[1]["content"]))
        return found

    def allowed_countries(self, instrument: CultureSpaInstrument) -> list[str]:
        return sorted(instrument.countries)


KIND = CultureSpaKind()
