"""Typed model of an instrument: its core file (items, scale) and one texts file per language."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ReviewStatus = Literal["source", "unreviewed", "reviewed"]


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def require_placeholders(template: str, required: set[str], what: str) -> str:
    try:
        found = _placeholders(template)
    except ValueError as exc:  # unbalanced braces
        raise ValueError(f"{what} is not a valid template: {exc}") from exc
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


class InstrumentHeader(BaseModel):
    """What every kind's `instrument.yaml` starts with: its kind, id, version, name and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    id: str
    version: str
    name: str
    source: dict[str, str]

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> str:
        return str(value)


class InstrumentCore(InstrumentHeader):
    """`<instrument>/instrument.yaml`: what does not depend on the prompt language."""

    kind: Literal["vsm"] = "vsm"
    scale: Scale
    items: list[Item] = Field(min_length=1)

    @field_validator("items")
    @classmethod
    def _unique_ids(cls, items: list[Item]) -> list[Item]:
        ids = [item.id for item in items]
        duplicates = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate item ids {duplicates}")
        return items


class StyleTexts(BaseModel):
    """Texts of the interaction styles beyond direct classification (Bravansky et al., App. B)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    cot_instruction: str = Field(min_length=1)
    final_answer_marker: str = Field(min_length=1)
    scenarios: list[str] = Field(min_length=1)

    @field_validator("scenarios")
    @classmethod
    def _question_slot(cls, scenarios: list[str]) -> list[str]:
        for index, template in enumerate(scenarios):
            require_placeholders(template, {"question"}, f"scenario {index}")
            if template.count("{question}") != 1:
                raise ValueError(f"scenario {index} must use {{question}} exactly once")
        return scenarios

    @model_validator(mode="after")
    def _marker_is_taught(self) -> StyleTexts:
        if self.final_answer_marker not in self.cot_instruction:
            raise ValueError(
                f"cot_instruction must show the final answer marker {self.final_answer_marker!r} verbatim"
            )
        return self


class AnswerWords(BaseModel):
    """Words the parser reads in this language: the scale's number words, the words that name an
    option before its number word ("option three"), and refusal phrases."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    numbers: dict[int, str]
    option_words: list[str] = Field(min_length=1)
    refusals: list[str] = Field(min_length=1)


class Paraphrase(BaseModel):
    """A prompt variant that rewords the block stems, and the items that have no stem."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    blocks: dict[str, str]
    items: dict[str, str] = Field(default_factory=dict)


class LanguageTexts(BaseModel):
    """`<instrument>/languages/<code>.yaml`: every text a prompt needs in one language.

    `review_status` says whether a fluent reader signed the translation off (`source` for the
    original wording, `unreviewed` until `reviewed_by` names a reviewer).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    language: str
    review_status: ReviewStatus
    translation_source: str = Field(min_length=1)
    reviewed_by: str | None = None
    role_prompt: str
    answer_instruction: str = Field(min_length=1)
    question_template: str
    option_template: str
    option_separator: str
    blocks: dict[str, str]
    option_sets: dict[str, list[str]]
    items: dict[str, str]
    countries: dict[str, str]
    styles: StyleTexts
    answer_words: AnswerWords
    paraphrases: dict[str, Paraphrase] = Field(default_factory=dict)

    @field_validator("role_prompt")
    @classmethod
    def _role(cls, value: str) -> str:
        return require_placeholders(value, {"country"}, "role_prompt")

    @field_validator("question_template")
    @classmethod
    def _question(cls, value: str) -> str:
        return require_placeholders(value, {"stem", "item", "options"}, "question_template")

    @field_validator("option_template")
    @classmethod
    def _option(cls, value: str) -> str:
        return require_placeholders(value, {"number", "label"}, "option_template")

    @field_validator("items", "countries")
    @classmethod
    def _non_empty_texts(cls, value: dict[str, str]) -> dict[str, str]:
        empty = sorted(key for key, text in value.items() if not str(text or "").strip())
        if empty:
            raise ValueError(f"empty text for {empty}")
        return value

    @model_validator(mode="after")
    def _reviewed_has_reviewer(self) -> LanguageTexts:
        if self.review_status == "reviewed" and not self.reviewed_by:
            raise ValueError("review_status is 'reviewed' but reviewed_by names no reviewer")
        return self

    def texts(self) -> dict[str, str]:
        """Every text of the file by field path (for script and language checks)."""
        found = {
            "role_prompt": self.role_prompt,
            "answer_instruction": self.answer_instruction,
            **{f"blocks.{key}": text for key, text in self.blocks.items() if text},
            **{f"items.{key}": text for key, text in self.items.items()},
            **{f"countries.{key}": text for key, text in self.countries.items()},
            "styles.cot_instruction": self.styles.cot_instruction,
            **{f"styles.scenarios.{index}": text for index, text in enumerate(self.styles.scenarios)},
            **{f"answer_words.numbers.{n}": word for n, word in self.answer_words.numbers.items()},
            **{f"answer_words.option_words.{i}": w for i, w in enumerate(self.answer_words.option_words)},
            **{f"answer_words.refusals.{i}": text for i, text in enumerate(self.answer_words.refusals)},
        }
        for name, paraphrase in self.paraphrases.items():
            found.update({f"paraphrases.{name}.blocks.{k}": t for k, t in paraphrase.blocks.items() if t})
            found.update({f"paraphrases.{name}.items.{k}": t for k, t in paraphrase.items.items()})
        for name, labels in self.option_sets.items():
            found.update({f"option_sets.{name}.{index}": label for index, label in enumerate(labels)})
        return found


def completeness_problems(
    core: InstrumentCore, texts: LanguageTexts, countries: set[str]
) -> list[tuple[str, str]]:
    """(field, problem) for everything `texts` lacks that `core` and the country list need."""
    problems: list[tuple[str, str]] = []
    for item in core.items:
        if item.id not in texts.items:
            problems.append((f"items.{item.id}", f"item {item.id} has no text"))
        if item.block not in texts.blocks:
            problems.append((f"blocks.{item.block}", f"item {item.id}: no stem for block {item.block!r}"))
        labels = texts.option_sets.get(item.option_set)
        if labels is None:
            problems.append((f"option_sets.{item.option_set}", f"item {item.id}: no option set"))
        elif len(labels) != core.scale.size:
            problems.append(
                (
                    f"option_sets.{item.option_set}",
                    f"{len(labels)} labels for a {core.scale.size}-point scale (item {item.id})",
                )
            )
    extra = sorted(texts.items.keys() - {item.id for item in core.items})
    if extra:
        problems.append(("items", f"texts for unknown items {extra}"))
    scale_values = set(range(core.scale.min, core.scale.max + 1))
    if set(texts.answer_words.numbers) != scale_values:
        problems.append(("answer_words.numbers", f"needs a word for each of {sorted(scale_values)}"))
    blocks = {item.block for item in core.items}
    for name, paraphrase in texts.paraphrases.items():
        missing_blocks = sorted(blocks - paraphrase.blocks.keys())
        if missing_blocks:
            problems.append((f"paraphrases.{name}.blocks", f"no paraphrase for blocks {missing_blocks}"))
        unknown = sorted(paraphrase.items.keys() - {item.id for item in core.items})
        if unknown:
            problems.append((f"paraphrases.{name}.items", f"unknown items {unknown}"))
    missing_countries = sorted(countries - texts.countries.keys())
    if missing_countries:
        problems.append(("countries", f"no localised name for countries {missing_countries}"))
    return problems


class Instrument(InstrumentCore):
    """A loaded instrument: the core plus validated texts per prompt language."""

    languages: dict[str, LanguageTexts]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    def scale_for(self, item_id: str) -> Scale:
        """The answer scale of an item (one scale for the whole instrument)."""
        return self.scale

    def option_labels(self, language: str, item_id: str) -> list[str]:
        """The item's option labels in `language`, in scale order."""
        return list(self.languages[language].option_sets[self.item(item_id).option_set])

    def styles_for(self, language: str) -> StyleTexts:
        return self.languages[language].styles

    def number_words(self, language: str) -> dict[int, str]:
        return self.languages[language].answer_words.numbers

    def option_words(self, language: str) -> list[str]:
        return list(self.languages[language].answer_words.option_words)

    def refusal_phrases(self, language: str) -> list[str]:
        """The language's refusal phrases, and the source language's (models often refuse in
        English whatever they were asked in)."""
        phrases = list(self.languages[language].answer_words.refusals)
        for texts in self.languages.values():
            if texts.review_status == "source" and texts.language != language:
                phrases += texts.answer_words.refusals
        return phrases
