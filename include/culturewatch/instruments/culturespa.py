"""CultureSPA's WVS instrument (Xu et al. 2025): questions with their own answer codes, personas.

Unlike VSM 2013, every question has its own scale: WVS answer codes run from the question's
code base (0 or 1) over its number of options, and the prompt shows exactly those codes. The
persona strategies are `unaware` (no persona), `aware` (P1: "a real person with an American
cultural background") and `cross_culture` (P2: P1 plus three similar and three different
cultures, the paper's Table 11). The paper's baseline P3 (Self-Alignment, Choenni and Shutova
2024) and its combinations P1+P3 and P2+P3 are `self_alignment`, `aware_self_alignment` and
`cross_culture_self_alignment`: the system prompt of `unaware`, `aware` or `cross_culture` and
a question preceded by answered examples, the five questions of its topic most similar by
chrF++ (`self_alignment_examples.csv`) with the target culture's WVS majority answer (the
`wvs_cultureSPA_majority` seed, the same answers the CAS mart scores against).
"""

from __future__ import annotations

import csv
import json
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from culturewatch.errors import InputFileError, first_problem
from culturewatch.instruments.schema import (
    AnswerWords,
    InstrumentHeader,
    ReviewStatus,
    Scale,
    StyleTexts,
    require_placeholders,
)

BaseStrategy = Literal["unaware", "aware", "cross_culture"]
CultureSpaStrategy = Literal[
    "unaware",
    "aware",
    "cross_culture",
    "self_alignment",
    "aware_self_alignment",
    "cross_culture_self_alignment",
]
# P3, P1+P3, P2+P3: the system prompt of a base strategy, then answered examples before the question
SELF_ALIGNMENT_SYSTEM_PROMPT: dict[str, BaseStrategy] = {
    "self_alignment": "unaware",
    "aware_self_alignment": "aware",
    "cross_culture_self_alignment": "cross_culture",
}
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


class SelfAlignmentTexts(BaseModel):
    """P3's question template (Xu et al. Table 12, the repo's `en_self_alignment`) and how one
    answered example is written (the repo's `example`: "Question: … Options: … Answer: 2.Label")."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    question_template: str
    example_template: str
    example_separator: str
    answer_template: str
    n_examples: int = Field(ge=1)

    @model_validator(mode="after")
    def _placeholders(self) -> SelfAlignmentTexts:
        require_placeholders(
            self.question_template, {"examples", "question", "options"}, "self_alignment.question_template"
        )
        require_placeholders(
            self.example_template, {"question", "options", "answer"}, "self_alignment.example_template"
        )
        require_placeholders(self.answer_template, {"number", "label"}, "self_alignment.answer_template")
        return self


class CultureSpaTexts(BaseModel):
    """The templates of one prompt language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    review_status: ReviewStatus
    translation_source: str = Field(min_length=1)
    system_prompts: dict[BaseStrategy, str]
    question_template: str
    self_alignment: SelfAlignmentTexts
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
            require_placeholders(self.system_prompts[strategy], slots, f"system_prompts.{strategy}")
        require_placeholders(self.question_template, {"question", "options"}, "question_template")
        require_placeholders(self.option_template, {"number", "label"}, "option_template")
        return self


class CultureSpaCore(InstrumentHeader):
    """`wvs_culturespa/instrument.yaml`."""

    kind: Literal["culturespa"]
    languages: dict[str, CultureSpaTexts] = Field(min_length=1)
    countries: dict[str, CultureSpaCountry] = Field(min_length=1)

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
    """The loaded instrument: the core file plus its questions, with the shared style texts,
    P3's example rankings (question → other questions of its topic, most similar first) and the
    reference answers P3 shows (country → question → WVS majority code)."""

    questions: list[CultureSpaQuestion]
    styles: dict[str, StyleTexts]
    answer_words: dict[str, AnswerWords]
    example_rankings: dict[str, list[str]]
    reference_answers: dict[str, dict[str, int]]

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

    def option_words(self, language: str) -> list[str]:
        return list(self.answer_words[language].option_words)

    def refusal_phrases(self, language: str) -> list[str]:
        return list(self.answer_words[language].refusals)

    def self_alignment_examples(self, item_id: str, country: str, n_examples: int) -> list[tuple[str, int]]:
        """P3's examples for a question and target culture: (question id, the culture's reference
        code) for the first `n_examples` ranked questions that have a reference answer there
        (the released code skips a question without one and takes the next). The question itself
        is never among them: its ranking holds only the other questions of its topic."""
        answers = self.reference_answers.get(country, {})
        ranked = [
            (other, answers[other]) for other in self.example_rankings.get(item_id, []) if other in answers
        ]
        return ranked[:n_examples]

    def persona_slots(self, country: str) -> dict[str, str]:
        """The system prompt's slots for a persona country (culture adjectives of related cultures)."""
        persona = self.countries[country]
        slots = {"article": persona.article, "culture": persona.culture}
        for index, related in enumerate(persona.similar, start=1):
            slots[f"similar_{index}"] = self.countries[related].culture
        for index, related in enumerate(persona.different, start=1):
            slots[f"different_{index}"] = self.countries[related].culture
        return slots


def read_example_rankings(path: Path, questions: list[CultureSpaQuestion]) -> dict[str, list[str]]:
    """self_alignment_examples.csv → question → ranked example ids. Rejected, naming the row: an
    unknown question, a question ranked against itself (leave-one-out), an example from another
    topic or outside the evaluation set, ranks that do not run 1, 2, 3, …"""
    if not path.is_file():
        raise InputFileError(path, "<file>", "does not exist")
    by_id = {question.id: question for question in questions}
    rankings: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                item, example, rank = row["item_id"], row["example_item_id"], int(row["rank"])
            except (KeyError, ValueError, TypeError) as exc:
                raise InputFileError(path, f"row {line}", first_problem(exc)) from exc
            problem = None
            if item not in by_id or example not in by_id:
                problem = f"unknown question {item if item not in by_id else example!r}"
            elif example == item:
                problem = f"{item} is ranked as its own example (P3 is leave-one-out)"
            elif by_id[example].topic != by_id[item].topic or not by_id[example].in_eval:
                problem = f"{example} is not an evaluation question of {item}'s topic"
            elif rank != len(rankings.get(item, [])) + 1:
                problem = f"rank {rank} of {item} does not follow rank {len(rankings.get(item, []))}"
            if problem:
                raise InputFileError(path, f"row {line}", problem)
            rankings.setdefault(item, []).append(example)
    return rankings


def read_reference_answers(
    path: Path, questions: list[CultureSpaQuestion], iso3_to_country: dict[str, str]
) -> dict[str, dict[str, int]]:
    """The WVS majority answers (seed `wvs_cultureSPA_majority`) of the instrument's countries:
    alpha-2 country → question → option code. Empty codes (not asked there) are left out; a code
    outside its question's codes is rejected, naming the row."""
    if not path.is_file():
        raise InputFileError(path, "<file>", "does not exist")
    scales = {question.id: question.scale for question in questions}
    answers: dict[str, dict[str, int]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            country, item, code = (
                iso3_to_country.get(row["country_code"]),
                row["q_id"],
                row["majority_option_code"],
            )
            if country is None or item not in scales or not code:
                continue
            scale = scales[item]
            if not code.isdigit() or not scale.min <= int(code) <= scale.max:
                raise InputFileError(
                    path, f"row {line}", f"{item}: code {code!r} outside {scale.min}..{scale.max}"
                )
            answers.setdefault(country, {})[item] = int(code)
    return answers


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
