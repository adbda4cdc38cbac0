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

from culturewatch.instruments.schema import Instrument
from culturewatch.probing.plan import ProbeCell
from culturewatch.probing.prompts import bare_question, render_messages
from culturewatch.reference.languages import load_languages


@dataclass(frozen=True)
class Misidentified:
    language: str
    what: str
    detected: str | None
    text: str


@cache
def detector() -> LanguageDetector:
    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, language.language_code.upper()))
        for language in load_languages()
    ]
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


def misidentified(instrument: Instrument, language: str, country: str = "US") -> list[Misidentified]:
    """Every rendered text of `language` that lingua places elsewhere: the system prompt, each item's
    question, the chain-of-thought instruction and each scenario."""
    wrong = []
    styles = instrument.languages[language].styles
    first = ProbeCell(
        instrument.id, instrument.items[0].id, country, language, "scenario", "aware", "base", 0
    )
    extra = [("cot instruction", styles.cot_instruction)] + [
        (f"scenario {index}", template.format(question=bare_question(instrument, first)))
        for index, template in enumerate(styles.scenarios)
    ]
    for what, text in extra:
        found = detect(text)
        if found != language:
            wrong.append(Misidentified(language, what, found, text))
    for item in instrument.items:
        cell = ProbeCell(instrument.id, item.id, country, language, "classification", "aware", "base", 0)
        system, user = render_messages(instrument, cell)
        checks = [("question " + item.id, user["content"])]
        if item is instrument.items[0]:
            checks.append(("system prompt", system["content"]))
        for what, text in checks:
            found = detect(text)
            if found != language:
                wrong.append(Misidentified(language, what, found, text))
    return wrong
