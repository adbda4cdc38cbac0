"""A fourth instrument kind, for tests only: yes/no questions per language, no persona, no judge.

Everything a kind is lives here; `register(KIND)` is the one line that makes the library plan,
render, read and gate instruments whose instrument.yaml says `kind: yes_no`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from culturewatch.config.schema import ProbeGrid
from culturewatch.errors import CulturewatchError
from culturewatch.instruments.language_id import reply_language
from culturewatch.instruments.loader import instrument_dir
from culturewatch.kinds import ReplyReading
from culturewatch.probing.cells import Pair, ProbeCell
from culturewatch.probing.client import ChatClient, ChatResult
from culturewatch.probing.interpret import Reading
from culturewatch.yaml_files import load_model


class YesNoInstrument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["yes_no"]
    id: str
    version: str
    name: str
    languages: dict[str, dict[str, str]]
    """prompt language → item id → question."""

    @property
    def item_ids(self) -> list[str]:
        return sorted(next(iter(self.languages.values())))


ANSWERS = {"yes": 1.0, "no": 0.0}


class YesNoKind:
    name = "yes_no"
    vsm_marts = False

    def load(self, instrument_id: str, directory: Path | None) -> YesNoInstrument:
        return load_model(instrument_dir(instrument_id, directory) / "instrument.yaml", YesNoInstrument)

    def country_languages(self, grid: ProbeGrid, instrument: YesNoInstrument) -> list[Pair]:
        if grid.strategies != ["unaware"]:
            raise CulturewatchError(f"grid.strategies: {instrument.id!r} asks no persona; use [unaware]")
        return [(None, language) for language in sorted(instrument.languages)]

    def cells(self, grid: ProbeGrid, instrument: YesNoInstrument, pairs: list[Pair]) -> list[ProbeCell]:
        return [
            ProbeCell(instrument.id, item, None, language, "classification", "unaware", "base", trial)
            for _, language in pairs
            for trial in range(grid.trials)
            for item in instrument.item_ids
        ]

    def render_messages(self, instrument: YesNoInstrument, cell: ProbeCell) -> list[dict[str, str]]:
        return [{"role": "user", "content": instrument.languages[cell.prompt_language][cell.item_id]}]

    def judge_question(self, instrument: YesNoInstrument, cell: ProbeCell) -> str:
        raise CulturewatchError("yes/no questions need no judge")

    def rendered_texts(
        self, instrument: YesNoInstrument, language: str, country: str
    ) -> list[tuple[str, str]]:
        return [(f"question {item}", text) for item, text in instrument.languages[language].items()]

    async def read(
        self,
        instrument: YesNoInstrument,
        cell: ProbeCell,
        result: ChatResult,
        judge: ChatClient | None,
        use_logprobs: bool,
    ) -> ReplyReading:
        language = reply_language(result.text)
        if result.error is not None:
            return ReplyReading(Reading(None, None, "parsed", None, "error"), language)
        answer = ANSWERS.get((result.text or "").strip().strip(".!").lower())
        status = "unparseable" if answer is None else "ok"
        return ReplyReading(Reading(answer, None, "parsed", None, status), language)

    def allowed_countries(self, instrument: YesNoInstrument) -> list[str]:
        return []

    def allowed_variants(self, instrument: YesNoInstrument) -> list[str]:
        return ["base"]

    def item_scales(self, instrument: YesNoInstrument) -> dict[str, tuple[int, int]] | None:
        return {item: (0, 1) for item in instrument.item_ids}


KIND = YesNoKind()
