"""What the kinds whose items have numbered options (VSM, CultureSPA) share: their cells, scales,
variants and the reading of a reply (parser, then the option judge). A kind subclasses it with its
loader, pairs, rendering and paraphrases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from culturewatch.config.schema import ProbeGrid
from culturewatch.kinds.grid import option_cells, option_scales
from culturewatch.probing.cells import Pair, ProbeCell
from culturewatch.probing.variants import OptionInstrument

if TYPE_CHECKING:
    from culturewatch.kinds.protocol import ReplyReading
    from culturewatch.probing.client import ChatClient, ChatResult


class OptionKind:
    """The shared half of an option kind; `judge_question` and `paraphrases` come from the kind."""

    def paraphrases(self, instrument: OptionInstrument) -> set[str]:
        """The instrument's paraphrase variants (none unless the kind has them)."""
        return set()

    def judge_question(self, instrument: OptionInstrument, cell: ProbeCell) -> str:
        raise NotImplementedError

    def cells(self, grid: ProbeGrid, instrument: OptionInstrument, pairs: list[Pair]) -> list[ProbeCell]:
        return option_cells(grid, instrument, pairs, self.paraphrases(instrument))

    async def read(
        self,
        instrument: OptionInstrument,
        cell: ProbeCell,
        result: ChatResult,
        judge: ChatClient | None,
        use_logprobs: bool,
    ) -> ReplyReading:
        from culturewatch.kinds.reading import read_option_reply  # the parser, judge, lingua: when asked

        return await read_option_reply(instrument, cell, result, judge, use_logprobs, self.judge_question)

    def allowed_variants(self, instrument: OptionInstrument) -> list[str]:
        return sorted({"base", "reversed_options"} | self.paraphrases(instrument))

    def item_scales(self, instrument: OptionInstrument) -> dict[str, tuple[int, int]] | None:
        return option_scales(instrument)
