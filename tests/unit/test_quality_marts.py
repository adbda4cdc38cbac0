"""The marts checkpoint (inside a build, on its candidate database): a run's marts rows pass when
possible and consistent with the planned grid, and a mart with an impossible value quarantines the
run."""

from __future__ import annotations

import json

import duckdb

from culturewatch.quality.gates import audit_marts, gate_raw, pending_marts_runs, validate_marts
from culturewatch.quality.verdicts import latest_verdict
from tests.unit.quality_fixture import specs_for, write_marts, write_run

GRID = {"settings": ["english", "aligned"], "countries": ["US", "JP", "EG"]}


def test_marts_rows_of_a_clean_run_pass(paths, tmp_path) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs)
    candidate = tmp_path / "candidate.duckdb"
    write_marts(candidate, plan)
    # each country: aligned (own language), english and language_average (US in English is both
    # aligned and english: a pass belongs to every setting it fits), 7 dimensions each
    assert plan.deviation_ratio_rows() == 3 * 3 * 7
    [raw] = gate_raw(paths, specs)
    assert raw["status"] == "validated"
    with duckdb.connect(str(candidate)) as con:
        assert pending_marts_runs(paths, con) == [plan.run_id]
        [verdict] = audit_marts(paths, con)
        assert verdict["status"] == "validated", verdict["failures"]
        assert verdict["stage"] == "marts"
        assert pending_marts_runs(paths, con) == []  # validated once


def test_a_run_not_in_the_build_is_not_audited(paths, tmp_path) -> None:
    specs = specs_for(GRID)
    write_run(paths, specs)
    gate_raw(paths, specs)
    candidate = tmp_path / "candidate.duckdb"
    with duckdb.connect(str(candidate)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.runs (run_id varchar)")
        assert pending_marts_runs(paths, con) == [] and audit_marts(paths, con) == []


def test_a_mart_with_an_impossible_value_quarantines_the_run(paths, tmp_path) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs)
    candidate = tmp_path / "candidate.duckdb"
    write_marts(candidate, plan, pdi=130.0)
    gate_raw(paths, specs)
    with duckdb.connect(str(candidate)) as con:
        [verdict] = audit_marts(paths, con)
    assert verdict["status"] == "quarantined"
    failures = json.loads(str(latest_verdict(paths, plan.run_id)["failed_expectations"]))  # type: ignore[index]
    assert [f"{f['checkpoint']}.{f['check']}" for f in failures] == [
        "marts_vsm_country_scores.pdi_within_0_100"
    ]
    assert failures[0]["observed"]["unexpected_count"] == 5  # every pass of the run
    assert failures[0]["observed"]["unexpected_list"][0] == 130.0


def test_infinite_deviation_ratios_and_missing_rows_are_stopped(paths, tmp_path) -> None:
    plan = write_run(paths, specs_for(GRID))
    candidate = tmp_path / "candidate.duckdb"
    write_marts(candidate, plan)
    with duckdb.connect(str(candidate)) as con:
        con.execute("update marts.deviation_ratio set deviation_ratio = 'inf'::double where country = 'JP'")
        con.execute("delete from marts.vsm_country_scores where country = 'EG'")
        con.execute("update marts.deviation_ratio set deviation_ratio = 'nan'::double where country = 'US'")
        outcome = validate_marts(paths, plan, con)
    assert outcome.failed_checks() == {
        "marts_deviation_ratio.deviation_ratio_positive_finite",
        "marts_deviation_ratio.deviation_ratio_null_has_reason",
        "marts_vsm_country_scores.rows_match_plan",
    }


def test_a_default_normalisation_bound_does_not_apply_to_the_other_method(paths, tmp_path) -> None:
    plan = write_run(paths, specs_for(GRID))
    candidate = tmp_path / "candidate.duckdb"
    write_marts(candidate, plan, pdi=130.0)
    with duckdb.connect(str(candidate)) as con:  # Hofstede's raw formula + 50 may leave 0-100
        con.execute("update marts.vsm_country_scores set normalisation = 'hofstede_raw_c50'")
        assert validate_marts(paths, plan, con).success
