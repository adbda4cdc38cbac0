"""Rystrøm et al.'s value-polarity instrument: "imagine surveying 10 people" prompts per topic.

An item is a WVS topic (`question_key`, e.g. `f121`); a variant is one prompt template with
one wording of the topic (`tpl03-var2`). There are no answer options: a judge labels every
hypothetical respondent of the reply pro, con or null, and polarity = pro / (pro + con).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from culturewatch.errors import InputFileError, first_problem
from culturewatch.instruments.schema import InstrumentHeader, ReviewStatus, require_placeholders

VARIANT_PATTERN = re.compile(r"^tpl\d{2}-var\d+$")
SAMPLE = "sample"
"""Grid variant that selects the repo's sampled prompts of each language (the paper's 300)."""
ALL = "all"
"""Grid variant that selects every prompt a language has."""


class PolarityPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    item_id: str
    variant: str = Field(pattern=VARIANT_PATTERN.pattern)
    in_sample: bool
    topic: str = Field(min_length=1)
    template: str

    @field_validator("template")
    @classmethod
    def _topic_slot(cls, template: str) -> str:
        return require_placeholders(template, {"topic"}, "template")

    def text(self) -> str:
        return self.template.format(topic=self.topic)


class PolarityLanguage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    review_status: ReviewStatus
    translation_source: str = Field(min_length=1)


class PolarityCore(InstrumentHeader):
    """`wvs_polarity/instrument.yaml`."""

    kind: Literal["polarity"]
    languages: dict[str, PolarityLanguage] = Field(min_length=1)


class PolarityInstrument(PolarityCore):
    prompts: dict[str, dict[tuple[str, str], PolarityPrompt]]
    """language → (item_id, variant) → prompt."""

    @property
    def item_ids(self) -> list[str]:
        return sorted({item for prompts in self.prompts.values() for item, _ in prompts})

    def prompt(self, language: str, item_id: str, variant: str) -> PolarityPrompt:
        return self.prompts[language][(item_id, variant)]

    def select(self, language: str, items: list[str] | None, variants: list[str]) -> list[PolarityPrompt]:
        """The language's prompts for these items (None = all) and grid variants (`sample`, `all`
        or explicit `tplTT-varV` names), in file order."""
        chosen = []
        for (item_id, variant), prompt in self.prompts[language].items():
            if items is not None and item_id not in items:
                continue
            if ALL in variants or (SAMPLE in variants and prompt.in_sample) or variant in variants:
                chosen.append(prompt)
        return chosen


def read_prompts(path: Path, languages: set[str]) -> dict[str, dict[tuple[str, str], PolarityPrompt]]:
    """prompts.csv → language → (item, variant) → prompt; bad rows name the file, row and problem."""
    if not path.is_file():
        raise InputFileError(path, "<file>", "does not exist")
    found: dict[str, dict[tuple[str, str], PolarityPrompt]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            language = row.get("language", "")
            if language not in languages:
                raise InputFileError(
                    path, f"row {line}", f"language {language!r} is not one of {sorted(languages)}"
                )
            try:
                prompt = PolarityPrompt(
                    item_id=row["item_id"],
                    variant=row["variant"],
                    in_sample=row["in_sample"] == "1",
                    topic=row["topic"],
                    template=row["template"],
                )
            except (KeyError, ValueError) as exc:
                raise InputFileError(path, f"row {line}", first_problem(exc)) from exc
            key = (prompt.item_id, prompt.variant)
            if key in found.setdefault(language, {}):
                raise InputFileError(path, f"row {line}", f"duplicate prompt {language} {key}")
            found[language][key] = prompt
    missing = sorted(languages - found.keys())
    if missing:
        raise InputFileError(path, "language", f"no prompts for languages {missing}")
    return found
