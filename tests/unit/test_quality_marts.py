"""The marts checkpoint: a run's marts rows pass when possible and consistent with the planned grid,
and a mart with an impossible value quarantines the run."""

from __future__ import annotations

import json

import duckdb

from culturewatch.quality.gates import gate_marts, gate_raw, pending_marts_runs, validate_marts
from culturewatch.quality.verdicts import latest_verdict
from tests.unit.quality_fixture import specs_for, write_marts, write_run

GRID = {"settings": ["english", "aligned"], "countries": ["US", "JP", "EG"]}


def test_marts_rows_of_a_clean_run_pass(paths) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs)
    write_marts(paths.warehouse, plan)
    # each country: aligned (own language), english and language_average (US in English is both
    # aligned and english: a pass belongs to every setting it fits), 7 dimensions each
    assert plan.deviation_ratio_rows() == 3 * 3 * 7
    [raw] = gate_raw(paths, specs)
    assert raw["status"] == "validated"
    assert pending_marts_runs(paths) == [plan.run_id]
    [verdict] = gate_marts(paths, rebuild=False)
    assert verdict["status"] == "validated", verdict["failures"]
    assert verdict["stage"] == "marts"
    assert pending_marts_runs(paths) == []  # validated once


def test_a_mart_with_an_impossible_value_quarantines_the_run(paths) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs)
    write_marts(paths.warehouse, plan, pdi=130.0)
    gate_raw(paths, specs)
    [verdict] = gate_marts(paths, rebuild=False)
    assert verdict["status"] == "quarantined"
    failures = json.loads(str(latest_verdict(paths, plan.run_id)["failed_expectations"]))  # type: ignore[index]
    assert [f"{f['checkpoint']}.{f['check']}" for f in failures] == [
        "marts_vsm_country_scores.pdi_within_0_100"
    ]
    assert failures[0]["observed"]["unexpected_count"] == 5  # every pass of the run
    assert failures[0]["observed"]["unexpected_list"][0] == 130.0


def test_infinite_deviation_ratios_and_missing_rows_are_stopped(paths) -> None:
    plan = write_run(paths, specs_for(GRID))
    write_marts(paths.warehouse, plan)
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("update marts.deviation_ratio set deviation_ratio = 'inf'::double where country = 'JP'")
        con.execute("delete from marts.vsm_country_scores where country = 'EG'")
        con.execute("update marts.deviation_ratio set deviation_ratio = 'nan'::double where country = 'US'")
    outcome = validate_marts(paths, plan)
    assert outcome.failed_checks() == {
        "marts_deviation_ratio.deviation_ratio_positive_finite",
        "marts_deviation_ratio.deviation_ratio_null_has_reason",
        "marts_vsm_country_scores.rows_match_plan",
    }


def test_a_default_normalisation_bound_does_not_apply_to_the_other_method(paths) -> None:
    plan = write_run(paths, specs_for(GRID))
    write_marts(paths.warehouse, plan, pdi=130.0)
    with duckdb.connect(str(paths.warehouse)) as con:  # Hofstede's raw formula + 50 may leave 0-100
        con.execute("update marts.vsm_country_scores set normalisation = 'hofstede_raw_c50'")
    assert validate_marts(paths, plan).success
