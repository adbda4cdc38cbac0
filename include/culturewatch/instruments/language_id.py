"""Confirm every prompt is in its language with an offline language identifier (lingua).

A script check proves nothing for the Latin-script languages (French and Tagalog look the
same to it); lingua, restricted to the 20 prompt languages, tells them apart. Short texts
(option labels, country names) are checked inside the whole rendered prompt, where
identification is reliable, not one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.instruments.loader import AnyInstrument, instrument_languages
from culturewatch.instruments.polarity import PolarityInstrument
from culturewatch.instruments.schema import Instrument
from culturewatch.probing.plan import ProbeCell
from culturewatch.probing.prompts import bare_question, render_messages
from culturewatch.probing.rendering import render_messages as render_any
from culturewatch.reference.languages import load_languages


@dataclass(frozen=True)
class Misidentified:
    language: str
    what: str
    detected: str | None
    text: str


@cache
def detector() -> LanguageDetector:
    """Lingua restricted to the languages anything is asked in: the 20 of the reference table and
    those of the other instruments (wvs_polarity adds Danish and Dutch)."""
    codes = {language.language_code for language in load_languages()} | set(instrument_languages())
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect(text: str) -> str | None:
    found = detector().detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found is not None else None


MIN_LETTERS_TO_IDENTIFY = 15


def reply_language(text: str | None) -> str | None:
    """The language of a model's reply, or None when it is too short to tell ("(3)", "2 - agree")."""
    if not text or sum(char.isalpha() for char in text) < MIN_LETTERS_TO_IDENTIFY:
        return None
    return detect(text)


def rendered_texts(instrument: AnyInstrument, language: str, country: str = "US") -> list[tuple[str, str]]:
    """(what, text) for everything a prompt in `language` can contain."""
    if isinstance(instrument, CultureSpaInstrument):
        return _culturespa_texts(instrument, language, country)
    if isinstance(instrument, PolarityInstrument):
        return [
            (f"prompt {item} {variant}", prompt.text())
            for (item, variant), prompt in instrument.prompts[language].items()
        ]
    return _vsm_texts(instrument, language, country)


def _culturespa_texts(instrument: CultureSpaInstrument, language: str, country: str) -> list[tuple[str, str]]:
    """Each strategy's system prompt and each question as asked."""
    found = []
    for strategy in ("unaware", "aware", "cross_culture"):
        persona = None if strategy == "unaware" else country
        cell = ProbeCell(
            instrument.id, instrument.item_ids[0], persona, language, "classification", strategy, "base", 0
        )
        found.append((f"system prompt ({strategy})", render_any(instrument, cell)[0]["content"]))
    for item in instrument.item_ids:
        cell = ProbeCell(instrument.id, item, country, language, "classification", "aware", "base", 0)
        found.append((f"question {item}", render_any(instrument, cell)[1]["content"]))
    return found


def _vsm_texts(instrument: Instrument, language: str, country: str) -> list[tuple[str, str]]:
    """The system prompt, each item's question in every wording (base and paraphrases), the
    chain-of-thought instruction and each scenario."""
    texts = instrument.languages[language]
    first = ProbeCell(
        instrument.id, instrument.items[0].id, country, language, "scenario", "aware", "base", 0
    )
    found = [("cot instruction", texts.styles.cot_instruction)]
    found += [
        (f"scenario {index}", template.format(question=bare_question(instrument, first)))
        for index, template in enumerate(texts.styles.scenarios)
    ]
    for variant in ["base", *sorted(texts.paraphrases)]:
        for item in instrument.items:
            cell = ProbeCell(instrument.id, item.id, country, language, "classification", "aware", variant, 0)
            system, user = render_messages(instrument, cell)
            found.append((f"question {item.id} ({variant})", user["content"]))
    classification = ProbeCell(
        instrument.id, instrument.items[0].id, country, language, "classification", "aware", "base", 0
    )
    found.append(("system prompt", render_messages(instrument, classification)[0]["content"]))
    return found


def misidentified(instrument: AnyInstrument, language: str, country: str = "US") -> list[Misidentified]:
    """Every rendered text of `language` that lingua places in another language."""
    return [
        Misidentified(language, what, found, text)
        for what, text in rendered_texts(instrument, language, country)
        if (found := detect(text)) != language
    ]
