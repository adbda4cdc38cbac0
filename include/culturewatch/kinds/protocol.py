"""What an instrument kind provides: the one place that knows how instruments of that kind are
loaded, planned into cells, rendered, read (parsed or judged) and checked by the quality gates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from culturewatch.config.schema import ProbeGrid
from culturewatch.probing.cells import Pair, ProbeCell

if TYPE_CHECKING:  # planning and rendering import no HTTP client, parser or language identifier
    from culturewatch.probing.client import ChatClient, ChatResult
    from culturewatch.probing.interpret import Reading


@dataclass(frozen=True)
class ReplyReading:
    """What a kind reads from one reply: the row's answer, the reply's language
    (`instruments.language_id.reply_language`), the judge's reply when a judge was asked, and the
    judge's labels (one dict per label row: the judgement table's columns other than the run, the
    cell and the judge's name and version)."""

    reading: Reading
    language: str | None
    verdict: ChatResult | None = None
    labels: list[dict[str, object]] = field(default_factory=list)


class InstrumentKind(Protocol):
    """One instrument kind (`kind` in instrument.yaml), registered with `culturewatch.kinds.register`."""

    name: str
    """The `kind` of instrument.yaml."""
    vsm_marts: bool
    """Whether the VSM marts (questionnaire passes, deviation ratio) score this kind's answers."""

    def load(self, instrument_id: str, directory: Path | None) -> Any:
        """Read and validate one instrument of this kind (it has `id`, `kind`, `version`,
        `languages` (a mapping keyed by prompt language) and `item_ids`)."""
        ...

    def country_languages(self, grid: ProbeGrid, instrument: Any) -> list[Pair]:
        """The (persona country, prompt language) pairs the grid asks for, checked against the
        instrument (a clear error for what the kind cannot ask)."""
        ...

    def cells(self, grid: ProbeGrid, instrument: Any, pairs: list[Pair]) -> list[ProbeCell]:
        """Every cell for these pairs, ordered so consecutive prompts share the longest prefix."""
        ...

    def render_messages(self, instrument: Any, cell: ProbeCell) -> list[dict[str, str]]:
        """The chat messages sent for a cell."""
        ...

    def judge_question(self, instrument: Any, cell: ProbeCell) -> str:
        """The question with its options numbered by position from 1, as the option judge sees it."""
        ...

    def rendered_texts(self, instrument: Any, language: str, country: str) -> list[tuple[str, str]]:
        """(what, text) for everything a prompt in `language` can contain (for language checks)."""
        ...

    async def read(
        self,
        instrument: Any,
        cell: ProbeCell,
        result: ChatResult,
        judge: ChatClient | None,
        use_logprobs: bool,
    ) -> ReplyReading:
        """Read one reply (off the event loop for anything slow), asking `judge` where the kind
        needs one; never raises on a hostile reply."""
        ...

    def allowed_countries(self, instrument: Any) -> list[str]:
        """The raw table's allowed `country` values (none: the kind asks no persona)."""
        ...

    def allowed_variants(self, instrument: Any) -> list[str]: ...

    def item_scales(self, instrument: Any) -> dict[str, tuple[int, int]] | None:
        """Each item's answer scale (min, max); None for kinds without option answers."""
        ...
