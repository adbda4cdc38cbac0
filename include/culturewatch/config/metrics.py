"""How to read a metric (metrics.yaml): direction, one-line meaning, unit, coverage, precision.

The YAML is the one definition; every reader that prints a metric — the Alignment view, the report,
the alerts on every channel, the CLI and the demo — formats it with `MetricInfo.format` and words its
direction with `MetricInfo.direction_text`, so a number reads the same everywhere. The regression
rule (regression_thresholds.yaml) names the metric each of its rules measures and takes the
direction from here.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from culturewatch.yaml_files import load_model

CATALOG_PATH = Path(__file__).resolve().parent / "metrics.yaml"
Direction = Literal["higher", "lower", "none"]
DIRECTION_TEXT = {"higher": "higher is better", "lower": "lower is better", "none": "neither end is better"}


class MetricInfo(BaseModel):
    """One metric as readers present it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str = Field(min_length=1)
    direction: Direction
    meaning: str = Field(min_length=1, max_length=400)
    unit: str = Field(min_length=1)
    decimals: int = Field(ge=0, le=6)
    range: tuple[float | None, float | None]

    @model_validator(mode="after")
    def _one_line(self) -> MetricInfo:
        if "\n" in self.meaning.strip() or "<" in self.meaning:
            raise ValueError("meaning must be one line of plain text")
        low, high = self.range
        if low is not None and high is not None and low >= high:
            raise ValueError(f"range [{low}, {high}] is empty")
        return self

    @property
    def direction_text(self) -> str:
        return DIRECTION_TEXT[self.direction]

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    def format(self, value: float | None) -> str:
        """The value at the metric's precision; `n/a` for null or NaN."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        return f"{value:.{self.decimals}f}"

    def format_change(self, value: float | None) -> str:
        """A signed difference at the metric's precision (`+0.120`, `-1.146`)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        return f"{value:+.{self.decimals}f}"


class Coverage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str = Field(min_length=1)
    unit: str = Field(min_length=1)


class Headline(BaseModel):
    """A model_leaderboard column shown as a headline metric."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str = Field(min_length=1)
    metric: str
    slice: str = Field(min_length=1)
    coverage: Coverage
    unstable: str | None = None


class MetricCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    metrics: dict[str, MetricInfo] = Field(min_length=1)
    headlines: list[Headline] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_metrics(self) -> MetricCatalog:
        for index, headline in enumerate(self.headlines):
            if headline.metric not in self.metrics:
                raise ValueError(f"headlines[{index}]: unknown metric {headline.metric!r}")
        columns = [headline.column for headline in self.headlines]
        if len(set(columns)) != len(columns):
            raise ValueError("a leaderboard column is listed twice under headlines")
        return self

    def info(self, metric: str) -> MetricInfo:
        return self.metrics[metric]

    def headline(self, column: str) -> Headline:
        for headline in self.headlines:
            if headline.column == column:
                return headline
        raise KeyError(column)

    def headline_label(self, headline: Headline) -> str:
        return f"{self.metrics[headline.metric].label}, {headline.slice}"


def load_metric_catalog(path: Path | str = CATALOG_PATH) -> MetricCatalog:
    return load_model(Path(path), MetricCatalog)


@cache
def catalog() -> MetricCatalog:
    """The bundled catalog, loaded once per process."""
    return load_metric_catalog()


def relative_change(difference: float | None, before: float | None) -> float | None:
    """difference / |before| (a share; None when before is 0 or unknown)."""
    if difference is None or before is None or before == 0 or math.isnan(before):
        return None
    return difference / abs(before)


def format_share(share: float | None) -> str:
    """A relative change as a signed percentage with one decimal (`-73.4%`)."""
    if share is None or math.isnan(share):
        return "n/a"
    return f"{share * 100:+.1f}%"


def count_text(n: int | None, unit: str) -> str:
    """`2 countries`, `1 country`, `1 language-country pair`; `? <unit>` for unknown."""
    if n is None:
        return f"? {unit}"
    if n != 1:
        return f"{n} {unit}"
    noun = unit[:-3] + "y" if unit.endswith("ies") else unit[:-1] if unit.endswith("s") else unit
    return f"{n} {noun}"


def coverage_text(n: int | None, unit: str) -> str:
    """`over 2 countries` (`over 1 country`); `coverage unknown` for unknown."""
    return "coverage unknown" if n is None else f"over {count_text(n, unit)}"
