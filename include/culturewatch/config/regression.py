"""The regression rule's config (regression_thresholds.yaml): typed, validated, rendered for dbt.

The YAML is the one definition of which headline metrics are compared between versions and of
each rule's threshold, alpha and coverage rule; the direction of what it measures comes from the
metric catalog (metrics.yaml, culturewatch.config.metrics). dbt reads it as the seed
`dbt_project/seeds/config/regression_thresholds.csv`, which is only ever written by
`python -m culturewatch.config.regression` (and checked against the YAML by the tests).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from culturewatch.config.metrics import catalog
from culturewatch.settings import DBT_PROJECT_DIR
from culturewatch.yaml_files import load_model

CONFIG_PATH = Path(__file__).resolve().parent / "regression_thresholds.yaml"
SEED_PATH = DBT_PROJECT_DIR / "seeds" / "config" / "regression_thresholds.csv"
SEED_COLUMNS = (
    "metric", "instrument", "setting", "strategy", "style", "variant",
    "metric_kind", "higher_is_better", "same_coverage", "threshold", "alpha", "description",
)  # fmt: skip

Instrument = Literal["vsm2013", "wvs_culturespa", "wvs_polarity"]
# Deviation-ratio settings with one prompt language per country (dbt var dr_language_settings
# names the fixed-language ones); `language_average` pools languages and is not compared.
DrSetting = Literal["aligned", "english", "chinese"]


class Measures(BaseModel):
    """The slice of a mart a metric reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    instrument: Instrument
    setting: DrSetting | None = Field(default=None, description="deviation-ratio prompt setting (vsm2013)")
    strategy: Literal["aware", "unaware", "cross_culture"]
    style: Literal["classification", "cot", "scenario"]
    variant: str | None = Field(
        default=None, min_length=1, description="prompt variant; none for wvs_polarity (pooled)"
    )

    @model_validator(mode="after")
    def _fits_instrument(self) -> Measures:
        if (self.setting is None) == (self.instrument == "vsm2013"):
            raise ValueError("setting is required for vsm2013 and only allowed there")
        if (self.variant is None) != (self.instrument == "wvs_polarity"):
            raise ValueError("variant is required, except for wvs_polarity (variants are pooled)")
        if self.instrument == "vsm2013" and self.strategy != "aware":
            raise ValueError("vsm2013 regressions compare persona (aware) passes only")
        return self


class MetricRule(BaseModel):
    """When a worsening of one metric is a regression."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str = Field(min_length=1)
    metric: str = Field(description="what is measured, a metric of metrics.yaml (its direction, meaning)")
    same_coverage: bool = Field(
        description="countries compared over different coverage are not comparable (else: flagged)"
    )
    measures: Measures
    threshold: float = Field(ge=0, description="smallest worsening that can count, in the metric's units")
    alpha: float = Field(gt=0, lt=1, description="Benjamini-Hochberg level over the version pair")


class RegressionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    metrics: dict[str, MetricRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_and_slices(self) -> RegressionConfig:
        for name in self.metrics:
            if not name.isidentifier() or name != name.lower():
                raise ValueError(f"metric name {name!r} must be lower_snake_case")
        known = catalog().metrics
        for name, rule in self.metrics.items():
            if rule.metric not in known:
                raise ValueError(f"{name}: metric {rule.metric!r} is not in metrics.yaml ({sorted(known)})")
            if known[rule.metric].direction == "none":
                raise ValueError(f"{name}: {rule.metric} has no better direction, so it cannot regress")
        slices = [rule.measures for rule in self.metrics.values()]
        if len(set(slices)) != len(slices):
            raise ValueError("two metrics measure the same slice")
        return self


def load_regression_config(path: Path | str = CONFIG_PATH) -> RegressionConfig:
    return load_model(Path(path), RegressionConfig)


def render_seed(config: RegressionConfig) -> str:
    """The seed CSV dbt reads: one row per metric, in the YAML's order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    for name, rule in config.metrics.items():
        measures = rule.measures
        writer.writerow([
            name, measures.instrument, measures.setting or "", measures.strategy, measures.style,
            measures.variant or "", rule.metric, str(catalog().info(rule.metric).higher_is_better).lower(),
            str(rule.same_coverage).lower(), repr(rule.threshold),
            repr(rule.alpha), " ".join(rule.description.split()),
        ])  # fmt: skip
    return buffer.getvalue()


def write_seed(config_path: Path | str = CONFIG_PATH, seed_path: Path | str = SEED_PATH) -> Path:
    seed_path = Path(seed_path)
    seed_path.parent.mkdir(parents=True, exist_ok=True)
    seed_path.write_text(render_seed(load_regression_config(config_path)), encoding="utf-8")
    return seed_path


def main(argv: list[str] | None = None) -> int:
    """`python -m culturewatch.config.regression [--check]`: write (or check) the dbt seed."""
    argv = sys.argv[1:] if argv is None else argv
    rendered = render_seed(load_regression_config())
    if "--check" in argv:
        current = SEED_PATH.read_text(encoding="utf-8") if SEED_PATH.exists() else ""
        if current != rendered:
            print(f"{SEED_PATH} is stale: run python -m culturewatch.config.regression", file=sys.stderr)
            return 1
        return 0
    print(write_seed())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
