"""The 20 countries and their prompt languages (Sukiennik et al., Table A), loaded from CSV."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, field_validator

from culturewatch.reference.csv_rows import read_rows
from culturewatch.settings import DBT_PROJECT_DIR

# One source of truth shared with dbt (the `countries` seed).
COUNTRIES_CSV = DBT_PROJECT_DIR / "seeds" / "reference" / "countries.csv"


class Country(BaseModel, frozen=True):
    """One persona country and the language it is prompted in when `aligned`."""

    country_code: str
    iso3: str
    country_name: str
    language_code: str
    language_name: str

    @field_validator("country_code")
    @classmethod
    def _alpha2(cls, value: str) -> str:
        if len(value) != 2 or not value.isupper():
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 code")
        return value


@cache
def load_countries(path: Path = COUNTRIES_CSV) -> tuple[Country, ...]:
    """All countries in file order; rejects duplicates and malformed rows by line number."""
    return read_rows(path, Country, "country_code")


def countries_by_code() -> dict[str, Country]:
    return {country.country_code: country for country in load_countries()}
