"""The read side's constants agree with the marts' yml contracts and with config/metrics.yaml."""

from __future__ import annotations

import yaml

from culturewatch.config.metrics import catalog
from culturewatch.marts import (
    LEADERBOARD_SUMMARY_EXTRAS,
    REGRESSION_COLUMNS,
    VSM_DIMENSIONS,
    headline_columns,
    leaderboard_summary_columns,
)
from culturewatch.settings import PROJECT_ROOT

MARTS = PROJECT_ROOT / "dbt_project" / "models" / "marts"


def _columns(mart: str) -> dict[str, dict]:
    (model,) = yaml.safe_load((MARTS / f"{mart}.yml").read_text())["models"]
    return {column["name"]: column for column in model["columns"]}


def test_vsm_dimensions_are_the_score_columns_and_dimension_values_of_the_marts():
    score_columns = [name for name in _columns("vsm_country_scores") if name in VSM_DIMENSIONS]
    assert tuple(score_columns) == VSM_DIMENSIONS  # every one, in the manual's order
    dimension = _columns("deviation_ratio")["dimension"]
    (accepted,) = [test["accepted_values"] for test in dimension["data_tests"] if "accepted_values" in test]
    assert accepted["arguments"]["values"] == ["overall", *VSM_DIMENSIONS]


def test_headline_and_summary_columns_are_leaderboard_columns_listed_once():
    leaderboard = _columns("model_leaderboard")
    assert headline_columns() == tuple(headline.column for headline in catalog().headlines)
    summary = leaderboard_summary_columns()
    assert summary[: len(headline_columns())] == headline_columns()
    assert len(set(summary)) == len(summary)
    assert set(summary) == set(headline_columns()) | set(LEADERBOARD_SUMMARY_EXTRAS)
    assert set(summary) <= set(leaderboard)


def test_regression_columns_are_the_regression_marts_contract():
    assert set(REGRESSION_COLUMNS) <= set(_columns("alignment_regressions"))
