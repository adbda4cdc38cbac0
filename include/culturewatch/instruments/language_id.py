"""Confirm every prompt is in its language with an offline language identifier (lingua).

A script check proves nothing for the Latin-script languages (French and Tagalog look the
same to it); lingua, restricted to the 20 prompt languages, tells them apart. Short texts
(option labels, country names) are checked inside the whole rendered prompt, where
identification is reliable, not one by one (`culturewatch.kinds.language_check`, which asks each
instrument kind for its rendered texts).
"""

from __future__ import annotations

from functools import cache, lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from culturewatch.instruments.loader import instrument_languages
from culturewatch.reference.languages import load_languages


@cache
def detector() -> LanguageDetector:
    """Lingua restricted to the languages anything is asked in: the 20 of the reference table and
    those of the other instruments (wvs_polarity adds Danish and Dutch). Their models are loaded
    here, at once (seconds), not by whichever detection first needs them: a probe loads them
    before it sends anything, so the load holds up no request (probing.runner)."""
    codes = {language.language_code for language in load_languages()} | set(instrument_languages())
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


@lru_cache(maxsize=4096)
def detect(text: str) -> str | None:
    """The language of `text` (ISO 639-1), or None when lingua cannot tell. Remembered for the last
    4,096 texts: replies at temperature 0 repeat ("3 - of moderate importance"), and lingua takes
    about 0.2 ms for one (at most 4,096 × REPLY_SAMPLE_CHARS characters are kept)."""
    found = detector().detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found is not None else None


MIN_LETTERS_TO_IDENTIFY = 15
REPLY_SAMPLE_CHARS = 4096
"""A reply is identified on its first 4,096 characters: plenty to tell a language, and lingua's
time grows faster than the text (64 KiB without spaces took 1 s, 1 MB never finished), so a
fixed sample keeps every reply's cost bounded."""


def reply_language(text: str | None) -> str | None:
    """The language of a model's reply (its first REPLY_SAMPLE_CHARS characters), or None when it
    is too short to tell ("(3)", "2 - agree")."""
    sample = (text or "")[:REPLY_SAMPLE_CHARS]
    if sum(char.isalpha() for char in sample) < MIN_LETTERS_TO_IDENTIFY:
        return None
    return detect(sample)
