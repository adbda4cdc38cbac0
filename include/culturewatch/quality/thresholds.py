"""Per-model data-quality thresholds: the `quality:` section of a model in the run configuration.

A small model's honest parse rate can be accepted knowingly by lowering its thresholds there; a
model with no `quality:` gets these defaults. The defaults and the embedded models' values are
explained in expectations/README.md ("Thresholds").
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from culturewatch.config.styles import Style

Rate = float

DEFAULT_MIN_PARSE_RATE = 0.9


class QualityThresholds(BaseModel):
    """Thresholds of the raw checkpoint's per-group rates. A group is one (prompt language, style)
    of a run; its parse rate is the share of its rows with `parse_status = ok`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_parse_rate: Rate = Field(
        default=DEFAULT_MIN_PARSE_RATE,
        ge=0.0,
        le=1.0,
        description="lowest accepted parse rate of every (prompt language, style) group",
    )
    min_parse_rate_by_language: dict[str, Rate] = Field(
        default_factory=dict, description="per prompt language, instead of min_parse_rate (wins over style)"
    )
    min_parse_rate_by_style: dict[str, Rate] = Field(
        default_factory=dict, description="per interaction style, instead of min_parse_rate"
    )
    min_response_language_match_rate: Rate | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="lowest accepted share of replies detected in the prompt's language, among replies "
        "long enough to identify (free-text styles); unset = not checked",
    )

    @field_validator("min_parse_rate_by_language", "min_parse_rate_by_style")
    @classmethod
    def _rates(cls, value: dict[str, Rate]) -> dict[str, Rate]:
        bad = {key: rate for key, rate in value.items() if not 0.0 <= rate <= 1.0}
        if bad:
            raise ValueError(f"rates must be within [0, 1]: {bad}")
        return value

    @field_validator("min_parse_rate_by_style")
    @classmethod
    def _known_styles(cls, value: dict[str, Rate]) -> dict[str, Rate]:
        unknown = sorted(set(value) - set(get_args(Style)))
        if unknown:
            raise ValueError(f"unknown styles {unknown}; styles are {list(get_args(Style))}")
        return value

    def min_parse_rate_for(self, language: str, style: str) -> Rate:
        """The threshold of one group: its language's, else its style's, else the default."""
        if language in self.min_parse_rate_by_language:
            return self.min_parse_rate_by_language[language]
        return self.min_parse_rate_by_style.get(style, self.min_parse_rate)
