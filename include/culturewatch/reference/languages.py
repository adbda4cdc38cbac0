"""The 20 prompt languages and the writing system each one's texts must be in."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from culturewatch.reference.csv_rows import read_rows
from culturewatch.settings import DBT_PROJECT_DIR

LANGUAGES_CSV = DBT_PROJECT_DIR / "seeds" / "reference" / "languages.csv"

Script = Literal["Arabic", "Bengali", "Cyrillic", "Devanagari", "Han", "Hangul", "Japanese", "Latin", "Thai"]


class PromptLanguage(BaseModel, frozen=True):
    language_code: str
    language_name: str
    script: Script


@cache
def load_languages(path: Path = LANGUAGES_CSV) -> tuple[PromptLanguage, ...]:
    return read_rows(path, PromptLanguage, "language_code")


def languages_by_code() -> dict[str, PromptLanguage]:
    return {language.language_code: language for language in load_languages()}
