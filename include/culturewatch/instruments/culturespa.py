"""CultureSPA's WVS instrument (Xu et al. 2025): questions with their own answer codes, personas.

Unlike VSM 2013, every question has its own scale: WVS answer codes run from the question's
code base (0 or 1) over its number of options, and the prompt shows exactly those codes. The
persona strategies are `unaware` (no persona), `aware` (P1: "a real person with an American
cultural background") and `cross_culture` (P2: P1 plus three similar and three different
cultures, the paper's Table 11).
"""

from __future__ import annotations

import csv
import json
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from culturewatch.errors import InputFileError, first_problem
from culturewatch.instruments.schema import AnswerWords, ReviewStatus, Scale, StyleTexts, require_placeholders

CultureSpaStrategy = Literal["unaware", "aware", "cross_culture"]
_PERSONA_SLOTS = {"article", "culture"}
_CROSS_SLOTS = _PERSONA_SLOTS | {f"similar_{n}" for n in (1, 2, 3)} | {f"different_{n}" for n in (1, 2, 3)}


class CultureSpaQuestion(BaseModel):
    """One WVS-7 question: its text, its option labels in code order, and its code base."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    topic: str
    text: str = Field(min_length=1)
    option_code_base: Literal[0, 1]
    options: list[str] = Field(min_length=2)
    in_eval: bool

    @property
    def scale(self) -> Scale:
        return Scale(min=self.option_code_base, max=self.option_code_base + len(self.options) - 1)


class CultureSpaCountry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    iso3: str = Field(pattern=r"^[A-Z]{3}$")
    culture: str = Field(min_length=1)
    article: Literal["a", "an"]
    similar: list[str] = Field(min_length=3, max_length=3)
    different: list[str] = Field(min_length=3, max_length=3)


class CultureSpaTexts(BaseModel):
    """The templates of one prompt language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    review_status: ReviewStatus
    translation_source: str = Field(min_length=1)
    system_prompts: dict[CultureSpaStrategy, str]
    question_template: str
    option_template: str
    option_separator: str
    shared_texts_from: str = Field(
        description="instrument whose texts in this language give the styles and refusal phrases"
    )
    number_words: dict[int, str]

    @model_validator(mode="after")
    def _placeholders(self) -> CultureSpaTexts:
        required = {"unaware": set(), "aware": _PERSONA_SLOTS, "cross_culture": _CROSS_SLOTS}
        for strategy, slots in required.items():
            if strategy not in self.system_prompts:
                raise ValueError(f"system_prompts: no template for strategy {strategy!r}")
            require_placeholders(self.system_prompts[strategy], slots, f"system_prompts.{strategy}")  # type: ignore[index]
        require_placeholders(self.question_template, {"question", "options"}, "question_template")
        require_placeholders(self.option_template, {"number", "label"}, "option_template")
        return self


class CultureSpaCore(BaseModel):
    """`wvs_culturespa/instrument.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["culturespa"]
    id: str
    version: str
    name: str
    source: dict[str, str]
    languages: dict[str, CultureSpaTexts] = Field(min_length=1)
    countries: dict[str, CultureSpaCountry] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> str:
        return str(value)

    @model_validator(mode="after")
    def _related_cultures_known(self) -> CultureSpaCore:
        for code, country in self.countries.items():
            unknown = sorted(set(country.similar + country.different) - self.countries.keys())
            if unknown:
                raise ValueError(
                    f"countries.{code}: related cultures {unknown} are not countries of the instrument"
                )
            if code in country.similar + country.different:
                raise ValueError(f"countries.{code}: lists itself as a related culture")
        return self


class CultureSpaInstrument(CultureSpaCore):
    """The loaded instrument: the core file plus its questions, with the shared style texts."""

    questions: list[CultureSpaQuestion]
    styles: dict[str, StyleTexts]
    answer_words: dict[str, AnswerWords]

    @cached_property
    def _by_id(self) -> dict[str, CultureSpaQuestion]:
        return {question.id: question for question in self.questions}

    def question(self, item_id: str) -> CultureSpaQuestion:
        return self._by_id[item_id]

    @property
    def item_ids(self) -> list[str]:
        return [question.id for question in self.questions]

    def scale_for(self, item_id: str) -> Scale:
        """The question's WVS answer codes: code base .. code base + options - 1."""
        return self.question(item_id).scale

    def option_labels(self, language: str, item_id: str) -> list[str]:
        """Option labels in code order (the questions exist in English only)."""
        return list(self.question(item_id).options)

    def styles_for(self, language: str) -> StyleTexts:
        return self.styles[language]

    def number_words(self, language: str) -> dict[int, str]:
        return self.answer_words[language].numbers

    def refusal_phrases(self, language: str) -> list[str]:
        return list(self.answer_words[language].refusals)

    def persona_slots(self, country: str) -> dict[str, str]:
        """The system prompt's slots for a persona country (culture adjectives of related cultures)."""
        persona = self.countries[country]
        slots = {"article": persona.article, "culture": persona.culture}
        for index, related in enumerate(persona.similar, start=1):
            slots[f"similar_{index}"] = self.countries[related].culture
        for index, related in enumerate(persona.different, start=1):
            slots[f"different_{index}"] = self.countries[related].culture
        return slots


def read_questions(path: Path) -> list[CultureSpaQuestion]:
    """questions.csv → typed questions; a bad row names the file, row and problem."""
    if not path.is_file():
        raise InputFileError(path, "<file>", "does not exist")
    questions: list[CultureSpaQuestion] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                questions.append(
                    CultureSpaQuestion(
                        id=row["item_id"],
                        topic=row["topic"],
                        text=row["question"],
                        option_code_base=int(row["option_code_base"]),  # type: ignore[arg-type]
                        options=json.loads(row["options_json"]),
                        in_eval=row["in_eval"] == "1",
                    )
                )
            except (KeyError, ValueError, TypeError) as exc:
                raise InputFileError(path, f"row {line}", first_problem(exc)) from exc
    ids = [question.id for question in questions]
    duplicates = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if duplicates:
        raise InputFileError(path, "item_id", f"duplicate item ids {duplicates}")
    return questions
