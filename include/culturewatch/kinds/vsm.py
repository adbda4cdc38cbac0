"""The VSM kind (Hofstede's VSM 2013 questionnaire): items on one scale, texts per language, a
persona country per cell, paraphrase variants."""

from __future__ import annotations

from pathlib import Path

from culturewatch.config.schema import ProbeGrid
from culturewatch.instruments.loader import load_vsm_instrument
from culturewatch.instruments.schema import Instrument
from culturewatch.kinds.grid import SETTING_LANGUAGE, check_subset
from culturewatch.kinds.option_kind import OptionKind
from culturewatch.probing import prompts
from culturewatch.probing.cells import Pair, ProbeCell
from culturewatch.reference.countries import countries_by_code, load_countries


class VsmKind(OptionKind):
    name = "vsm"
    vsm_marts = True

    def paraphrases(self, instrument: Instrument) -> set[str]:
        return set(next(iter(instrument.languages.values())).paraphrases)

    def load(self, instrument_id: str, directory: Path | None) -> Instrument:
        return load_vsm_instrument(instrument_id, directory)

    def country_languages(self, grid: ProbeGrid, instrument: Instrument) -> list[Pair]:
        check_subset("strategies", grid.strategies, {"aware"}, instrument.id)
        known = countries_by_code()
        codes = [c.country_code for c in load_countries()] if grid.countries == "all" else grid.countries
        check_subset("countries", codes, set(known), instrument.id)
        all_languages = sorted({known[code].language_code for code in known})
        pairs: set[Pair] = set()
        for setting in grid.settings:
            for code in codes:
                if setting == "aligned":
                    pairs.add((code, known[code].language_code))
                elif setting == "full_grid":
                    pairs.update((code, language) for language in all_languages)
                else:
                    pairs.add((code, SETTING_LANGUAGE[setting]))
        return sorted(pairs)  # type: ignore[arg-type]

    def render_messages(self, instrument: Instrument, cell: ProbeCell) -> list[dict[str, str]]:
        return prompts.render_messages(instrument, cell)

    def judge_question(self, instrument: Instrument, cell: ProbeCell) -> str:
        return prompts.question_with_options(instrument, cell)  # VSM options are numbered from 1

    def rendered_texts(self, instrument: Instrument, language: str, country: str) -> list[tuple[str, str]]:
        """The system prompt, each item's question in every wording (base and paraphrases), the
        chain-of-thought instruction and each scenario."""
        texts = instrument.languages[language]
        first = ProbeCell(
            instrument.id, instrument.items[0].id, country, language, "scenario", "aware", "base", 0
        )
        found = [("cot instruction", texts.styles.cot_instruction)]
        found += [
            (f"scenario {index}", template.format(question=prompts.bare_question(instrument, first)))
            for index, template in enumerate(texts.styles.scenarios)
        ]
        for variant in ["base", *sorted(texts.paraphrases)]:
            for item in instrument.items:
                cell = ProbeCell(
                    instrument.id, item.id, country, language, "classification", "aware", variant, 0
                )
                system, user = prompts.render_messages(instrument, cell)
                found.append((f"question {item.id} ({variant})", user["content"]))
        classification = ProbeCell(
            instrument.id, instrument.items[0].id, country, language, "classification", "aware", "base", 0
        )
        found.append(("system prompt", prompts.render_messages(instrument, classification)[0]["content"]))
        return found

    def allowed_countries(self, instrument: Instrument) -> list[str]:
        return sorted(country.country_code for country in load_countries())


KIND = VsmKind()
