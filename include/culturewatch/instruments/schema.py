"""Typed model of an instrument file: items, answer scales and per-language prompt texts."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from culturewatch.reference.countries import load_countries

ReviewStatus = Literal["source", "unreviewed", "reviewed"]


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _require_placeholders(template: str, required: set[str], what: str) -> str:
    found = _placeholders(template)
    if found != required:
        raise ValueError(
            f"{what} must use exactly the placeholders {sorted(required)}, found {sorted(found)}"
        )
    return template


class Scale(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"scale max {self.max} must exceed min {self.min}")
        return self

    @property
    def size(self) -> int:
        return self.max - self.min + 1


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    block: str
    option_set: str


class LanguageTexts(BaseModel):
    """Everything a prompt needs in one language; `review_status` says whether a fluent reader checked it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    review_status: ReviewStatus
    translation_source: str
    role_prompt: str
    answer_instruction: str
    question_template: str
    option_template: str
    option_separator: str
    blocks: dict[str, str]
    option_sets: dict[str, list[str]]
    items: dict[str, str]
    countries: dict[str, str]

    @field_validator("role_prompt")
    @classmethod
    def _role(cls, value: str) -> str:
        return _require_placeholders(value, {"country"}, "role_prompt")

    @field_validator("question_template")
    @classmethod
    def _question(cls, value: str) -> str:
        return _require_placeholders(value, {"stem", "item", "options"}, "question_template")

    @field_validator("option_template")
    @classmethod
    def _option(cls, value: str) -> str:
        return _require_placeholders(value, {"number", "label"}, "option_template")

    @field_validator("items", "countries")
    @classmethod
    def _non_empty_texts(cls, value: dict[str, str]) -> dict[str, str]:
        empty = sorted(key for key, text in value.items() if not str(text).strip())
        if empty:
            raise ValueError(f"empty text for {empty}")
        return value


class Instrument(BaseModel):
    """A survey instrument: the items and their scale, and the texts per prompt language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    name: str
    scale: Scale
    source: dict[str, str]
    items: list[Item] = Field(min_length=1)
    languages: dict[str, LanguageTexts] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> str:
        return str(value)

    @model_validator(mode="after")
    def _complete(self) -> Instrument:
        ids = [item.id for item in self.items]
        duplicates = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate item ids {duplicates}")
        country_codes = {country.country_code for country in load_countries()}
        for code, texts in self.languages.items():
            missing_items = [item_id for item_id in ids if item_id not in texts.items]
            if missing_items:
                raise ValueError(f"language {code!r}: no text for items {missing_items}")
            for item in self.items:
                if item.block not in texts.blocks:
                    raise ValueError(f"language {code!r}, item {item.id}: no stem for block {item.block!r}")
                labels = texts.option_sets.get(item.option_set)
                if labels is None:
                    raise ValueError(f"language {code!r}, item {item.id}: no option set {item.option_set!r}")
                if len(labels) != self.scale.size:
                    raise ValueError(
                        f"language {code!r}, option set {item.option_set!r}: {len(labels)} labels "
                        f"for a {self.scale.size}-point scale"
                    )
            missing_countries = sorted(country_codes - texts.countries.keys())
            if missing_countries:
                raise ValueError(f"language {code!r}: no localised name for countries {missing_countries}")
        return self

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)
