"""Confirm every prompt an instrument can send is in its language (lingua, through
`culturewatch.instruments.language_id`): each kind lists its rendered texts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from culturewatch.instruments.language_id import detect
from culturewatch.kinds.registry import kind_of


@dataclass(frozen=True)
class Misidentified:
    language: str
    what: str
    detected: str | None
    text: str


def rendered_texts(instrument: Any, language: str, country: str = "US") -> list[tuple[str, str]]:
    """(what, text) for everything a prompt in `language` can contain."""
    return kind_of(instrument).rendered_texts(instrument, language, country)


def misidentified(instrument: Any, language: str, country: str = "US") -> list[Misidentified]:
    """Every rendered text of `language` that lingua places in another language."""
    return [
        Misidentified(language, what, found, text)
        for what, text in rendered_texts(instrument, language, country)
        if (found := detect(text)) != language
    ]
