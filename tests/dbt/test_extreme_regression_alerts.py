"""The clearest regressions are alerted: a regression far beyond the bootstrap's resolution
(|z| ≈ 100, where Φ(z) underflows to 0 in double precision) builds, is flagged, and the alerts DAG
delivers exactly one alert per channel.

The fixture: `fixture-model` probed with wvs_culturespa (persona prompt P1) as v1 and v2, in the
18 countries of the paper, on the first 40 four-option questions that have a WVS majority in all
18. v1 answers every question with the country's majority (CAS 100). v2 answers 4 of them with
the majority and the other 36 with the code farthest from it: its CAS drops by 70 to 80 points in
every country, and by as much on every bootstrap draw (a draw can only move the share of the 4
right answers a little). So no replicate is ever "not worse", the replicates vary (sd > 0), and
the normal tail of the version mean over 18 countries is at |z| ≈ 100: ln Φ ≈ -5000, far below the
smallest double. Before issue 15 its p-value was exactly 0 and `dbt build` failed on the
`accepted_range` test of p_value, so the alerts DAG never ran.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from culturewatch.alerts.ledger import read_ledger
from culturewatch.orchestration.airflow_runs import ALERTS_DAG, init_airflow, run_dag_test
from culturewatch.settings import data_paths
from culturewatch.transform.warehouse_build import build_marts
from tests.alert_receivers import SmtpReceiver, WebhookReceiver, write_alerts_config
from tests.dbt import wvs_fixture
from tests.dbt.raw_fixture import write_completed_run_events, write_responses

pytestmark = pytest.mark.long(31)  # seconds, measured on 2 cores: handed out first

SEEDS = wvs_fixture.DBT_PROJECT_DIR / "seeds" / "ground_truth"
PROBED_AT = {"v1": datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "v2": datetime(2026, 2, 1, 12, 0, tzinfo=UTC)}
N_QUESTIONS, N_RIGHT_AFTER = 40, 4


def _majorities() -> dict[str, dict[str, int]]:
    """country (ISO alpha-2) -> question -> majority code, for the 18 countries and the first 40
    four-option evaluation questions with a majority in all of them."""
    rows = duckdb.sql(
        f"""
        with majority as (
            select countries.country_code, majority.q_id, majority.majority_option_code
            from '{SEEDS / "wvs_cultureSPA_majority.csv"}' as majority
            inner join '{SEEDS / "culturespa_countries.csv"}' as countries
                on majority.country_code = countries.iso3
            where majority.in_paper_18 = 1
        ),
        questions as (
            select q_id, q_num from '{SEEDS / "wvs_cultureSPA_questions.csv"}'
            where in_culturespa_eval = 1 and n_options = 4 and option_code_base = 1
        ),
        everywhere as (
            select q_id from majority inner join questions using (q_id)
            group by q_id, q_num having count(distinct country_code) = 18
            order by q_num limit {N_QUESTIONS}
        )
        select country_code, q_id, majority_option_code from majority inner join everywhere using (q_id)
        """
    ).fetchall()
    found: dict[str, dict[str, int]] = {}
    for country, question, code in rows:
        found.setdefault(country, {})[question] = int(code)
    return found


def _responses(run_id: str, version: str, majorities: dict[str, dict[str, int]]) -> list[dict[str, object]]:
    rows = []
    for country, codes in sorted(majorities.items()):
        for position, (question, majority) in enumerate(sorted(codes.items())):
            worst = 4 if majority <= 2 else 1
            answer = majority if version == "v1" or position < N_RIGHT_AFTER else worst
            row = wvs_fixture.response(run_id, "wvs_culturespa", question, country=country, strategy="aware")
            row.update(answer=float(answer), model_version=version, requested_at=PROBED_AT[version])
            row.update(parser_version="p1", instrument_version="1.0.0")
            rows.append(row)
    return rows


def _write_run(data_dir: Path, run_id: str, rows: list[dict[str, object]]) -> None:
    write_responses(data_dir, run_id, "part-0.parquet", rows)
    write_completed_run_events(
        data_dir,
        rows,
        started_at=rows[0]["requested_at"],
        instrument="wvs_culturespa",
        model=wvs_fixture.MODEL,
        prompt_language="en",
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("extreme")
    majorities = _majorities()
    assert len(majorities) == 18 and {len(codes) for codes in majorities.values()} == {N_QUESTIONS}
    for version in ("v1", "v2"):
        _write_run(data, f"spa-{version}", _responses(f"spa-{version}", version, majorities))
    # the write-audit-publish build succeeds (dbt's tests on p_value included) and publishes
    build_marts(data_paths(data), "+alignment_regressions")
    return data


def test_a_regression_far_beyond_the_bootstrap_is_flagged_with_a_p_value_above_zero(data_dir: Path) -> None:
    with duckdb.connect(str(data_dir / "build" / "state.duckdb"), read_only=True) as builder:
        cursor = builder.execute(
            "select *, mean_delta / sd_delta as z from intermediate.int_regression_comparisons"
            " where metric = 'cas_aware' and country is null"
        )
        names = [column[0] for column in cursor.description]
        [mean] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert mean["n_not_worse"] == 0 and mean["sd_delta"] > 0  # beyond the bootstrap's resolution
    assert -130 < mean["z"] < -70  # |z| ≈ 100: Φ(z) = exp(-z²/2 ...) is 0 in double precision
    assert mean["log10_p_value"] < -1000  # the tail in log space, finite
    rows = wvs_fixture.fetch(data_dir, "select * from marts.alignment_regressions where metric = 'cas_aware'")
    assert len(rows) == 19  # 18 countries and the version mean
    for row in rows:
        assert row["difference"] < -60 and row["direction"] == "regression", row
        assert 1e-300 <= row["p_value"] <= 1 / 1001 and row["q_value"] < row["alpha"], row
    assert next(row for row in rows if row["country"] is None)["p_value"] == 1e-300  # the documented floor


def test_the_alerts_dag_delivers_exactly_one_alert_per_channel(
    data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    paths = data_paths(data_dir)
    with WebhookReceiver() as http, SmtpReceiver() as smtp:
        config = write_alerts_config(tmp_path / "alerts.yaml", wvs_fixture.MODEL, http, smtp, monkeypatch)
        init_airflow(paths)
        run_dag_test(paths, ALERTS_DAG, {"config": str(config)})
    assert len(http.to("/slack")) == len(http.to("/hook")) == len(smtp.mails) == 1
    [posted] = [post.json() for post in http.to("/hook")]
    by_metric = {entry["metric"]: entry for entry in posted["metrics"]}  # one alert per cause
    assert len(by_metric["cas_aware"]["affected"]) == 19
    ledger = read_ledger(paths)
    assert sorted(row["channel"] for row in ledger) == ["email", "slack", "webhook"]
