"""model_leaderboard: one row per model version, each headline from that version's latest run.

Fixture (one model, two versions), worked by hand below:

  v1  vsm-v1-old  10:00  US in English, the hand questionnaire   (superseded by the next run)
      vsm-v1-new  11:00  US in English, every answer 3            -> all six scores 50
      spa-v1      11:30  CultureSPA P1: US answers Q1 = 1, Q2 = 2, Q3 unparseable; DE Q1 = Q2 = 1
  v2  vsm-v2      12:00  US in English, the hand questionnaire

Deviation ratio for the US (English is both the `aligned` and the `english` setting for the US).
Ground truth (seed, Hofstede 2015) US: pdi 40, idv 91, mas 62, uai 46, lto 26, ivr 68; global
means over the seed: pdi 1192/18, idv 676/18, mas 913/18, uai 1189/18, lto 51.55, ivr 34.25.
  numerator  = mean |GT − mean GT| = (26.2222 + 53.4444 + 11.2778 + 20.0556 + 25.55 + 33.75) / 6
             = 170.3 / 6
  all 3s:    difference = mean |50 − GT| = (10 + 41 + 12 + 4 + 24 + 18) / 6 = 109 / 6
             DR = 170.3 / 109 = 1.562385...
  hand questionnaire (scores 28.125, 87.5, 68.75, 62.5, 75, 55; see test_marts.py):
             difference = (11.875 + 3.5 + 6.75 + 16.5 + 49 + 13) / 6 = 100.625 / 6
             DR = 170.3 / 100.625 = 1.692422...
So v1's headline is 1.5624 (its latest VSM run), not the superseded run's 1.6924, and v2's is 1.6924.

CAS (P1), WVS majority codes for Q1 and Q2 are 1 for both the US and Germany; both questions
have K = 4 options, so max distance = sqrt(3² + 3²) = sqrt(18):
  US: sqrt((1 − 1)² + (1 − 2)²) = 1   -> (1 − 1 / sqrt(18)) × 100 = 76.4298...
  DE: distance 0                       -> 100
  mean over the two cultures = 88.2149...
Parse rate of v1 = 24 + 24 + 4 ok of 24 + 24 + 5 rows = 52 / 53; v2 = 24 / 24.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from culturewatch.marts import leaderboard_summaries, leaderboard_summary_columns
from culturewatch.settings import data_paths
from culturewatch.transform.warehouse_build import build_marts
from tests.dbt.raw_fixture import fetch, questionnaire, write_events, write_responses
from tests.dbt.wvs_fixture import response as wvs_response

HAND_ANSWERS = {
    "m01": 2, "m02": 4, "m03": 1, "m04": 5, "m05": 3, "m06": 2, "m07": 1, "m08": 4,
    "m09": 5, "m10": 3, "m11": 2, "m12": 4, "m13": 4, "m14": 2, "m15": 3, "m16": 3,
    "m17": 2, "m18": 4, "m19": 5, "m20": 2, "m21": 3, "m22": 3, "m23": 2, "m24": 2,
}  # fmt: skip
NUMERATOR_TIMES_6 = 170.3
DR_ALL_THREES = NUMERATOR_TIMES_6 / 109
DR_HAND = NUMERATOR_TIMES_6 / 100.625
CAS_US = (1 - 1 / math.sqrt(18)) * 100


def _events(data_dir: Path, run_id: str, instrument: str, version: str, hour: int, minute: int = 0) -> None:
    started = datetime(2026, 1, 1, hour, minute, tzinfo=UTC)
    event = {
        "run_id": run_id,
        "instrument": instrument,
        "model": "fixture-model",
        "model_version": version,
        "base_url": "http://localhost:0/v1",
        "prompt_language": "en",
        "requests_sent": 1,
        "prompt_tokens": 100,
        "completion_tokens": 10,
        "cost_usd": None,
        "message": None,
    }
    write_events(
        data_dir,
        run_id,
        "events.parquet",
        [
            {**event, "event": "started", "cells_planned": 1, "cells_answered": 0, "recorded_at": started},
            {
                **event,
                "event": "completed",
                "cells_planned": 1,
                "cells_answered": 1,
                "recorded_at": started.replace(minute=minute + 5),
            },
        ],
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("leaderboard")
    for run_id, version, answers, hour in (
        ("vsm-v1-old", "v1", HAND_ANSWERS, 10),
        ("vsm-v1-new", "v1", None, 11),
        ("vsm-v2", "v2", HAND_ANSWERS, 12),
    ):
        write_responses(
            data_dir,
            run_id,
            "part-0.parquet",
            questionnaire(run_id, "US", "en", answers, model_version=version),
        )
        _events(data_dir, run_id, "vsm2013", version, hour)
    spa = [
        wvs_response("spa-v1", "wvs_culturespa", item, country=country, strategy="aware", answer=answer)
        for country, item, answer in (
            ("US", "Q1", 1.0),
            ("US", "Q2", 2.0),
            ("DE", "Q1", 1.0),
            ("DE", "Q2", 1.0),
        )
    ]
    spa.append(
        wvs_response("spa-v1", "wvs_culturespa", "Q3", country="US", strategy="aware", status="unparseable")
    )
    write_responses(data_dir, "spa-v1", "part-0.parquet", spa)
    _events(data_dir, "spa-v1", "wvs_culturespa", "v1", 11, 30)
    build_marts(data_paths(data_dir))  # written, audited and published: what the library's readers read
    return data_dir


@pytest.fixture(scope="module")
def leaderboard(built: Path) -> dict[str, dict[str, object]]:
    rows = fetch(built, "select * from marts.model_leaderboard")
    return {str(row["model_version"]): row for row in rows}


def test_one_row_per_version(leaderboard: dict[str, dict[str, object]]) -> None:
    assert sorted(leaderboard) == ["v1", "v2"]
    assert leaderboard["v1"]["n_runs"] == 3 and leaderboard["v2"]["n_runs"] == 1


def test_deviation_ratio_headline_is_the_latest_runs(leaderboard: dict[str, dict[str, object]]) -> None:
    v1, v2 = leaderboard["v1"], leaderboard["v2"]
    assert v1["mean_deviation_ratio_aligned"] == pytest.approx(DR_ALL_THREES)
    assert v1["mean_deviation_ratio_english"] == pytest.approx(DR_ALL_THREES)
    assert v2["mean_deviation_ratio_aligned"] == pytest.approx(DR_HAND)
    assert (v1["n_countries_aligned"], v2["n_countries_english"]) == (1, 1)


def test_cas_headline_is_the_mean_over_cultures_and_absent_strategies_are_null(
    leaderboard: dict[str, dict[str, object]],
) -> None:
    v1, v2 = leaderboard["v1"], leaderboard["v2"]
    assert v1["mean_cas_aware"] == pytest.approx((CAS_US + 100) / 2)
    assert v1["n_countries_cas_aware"] == 2
    assert v1["mean_cas_cross_culture"] is None and v1["mean_cas_unaware"] is None
    assert v2["mean_cas_aware"] is None and v2["n_countries_cas_aware"] == 0


def test_parse_rate_and_tokens_cover_every_run_of_the_version(
    leaderboard: dict[str, dict[str, object]],
) -> None:
    assert leaderboard["v1"]["parse_rate"] == pytest.approx(52 / 53)
    assert leaderboard["v2"]["parse_rate"] == 1.0
    assert leaderboard["v1"]["prompt_tokens"] == 300 and leaderboard["v1"]["cost_usd"] is None


def test_transform_summary_reports_each_versions_leaderboard_headlines(
    built: Path, leaderboard: dict[str, dict[str, object]]
) -> None:
    summaries = leaderboard_summaries(data_paths(built))
    assert [summary["model_version"] for summary in summaries] == ["v2", "v1"]  # latest probed first
    for summary in summaries:
        row = leaderboard[str(summary["model_version"])]
        expected = {name: row[name] for name in leaderboard_summary_columns() if row[name] is not None}
        assert summary == {
            "model": row["model"],
            "model_version": row["model_version"],
            "n_runs": row["n_runs"],
            **expected,
        }
    assert "mean_cas_aware" in summaries[1] and "mean_cas_aware" not in summaries[0]


def test_published_file_carries_the_dbt_descriptions_as_comments(built: Path) -> None:
    """persist_docs writes every model's and column's yml description into the build; publishing
    copies them, so an analyst reads them in the published file without dbt docs."""
    tables = {
        (row["schema_name"], row["table_name"]): row["comment"]
        for row in fetch(built, "select schema_name, table_name, comment from duckdb_tables()")
    }
    assert "Grain: one row per model × model_version" in tables[("marts", "model_leaderboard")]
    assert "Deviation ratio (Sukiennik et al. Eq. 1)" in tables[("marts", "deviation_ratio")]
    assert tables[("reference", "countries")], "the seeds' descriptions too"
    columns = {
        (row["table_name"], row["column_name"]): row["comment"]
        for row in fetch(
            built,
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'",
        )
    }
    assert columns[("deviation_ratio", "is_unstable")].startswith("True when deviation_ratio has a value")
    assert columns[("runs", "airflow_dag_run_id")].startswith("The latest Airflow DAG run")
    undocumented = sorted(key for key, comment in columns.items() if not comment)
    assert undocumented == [], f"mart columns without a description: {undocumented}"
    assert not any(schema in ("staging", "intermediate", "main") for schema, _ in tables)
