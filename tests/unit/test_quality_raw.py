"""The raw checkpoint stops corrupted runs, naming the expectation; a clean run passes.

Runs are planned from a real config by the probe's planner and written as the probe writes them
(storage.parquet.write_batch, RAW_RESPONSE_SCHEMA); each test corrupts one thing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from culturewatch.quality.gates import gate_raw, validate_raw
from culturewatch.quality.run_plan import RunPlan
from culturewatch.quality.verdicts import latest_verdict
from culturewatch.storage.parquet import write_batch
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA
from tests.unit.quality_fixture import row_for, specs_for, write_run

# US, JP, DE asked in English, and each in its own language: 3 languages, 120 cells
GRID = {"settings": ["english", "aligned"], "countries": ["US", "JP", "DE"]}


def _failed(outcome) -> set[str]:
    return outcome.failed_checks()


def _failure(outcome, check: str) -> dict:
    [found] = [
        failure for failure in outcome.failures if f"{failure['checkpoint']}.{failure['check']}" == check
    ]
    return found


def test_a_clean_run_passes_and_gets_a_validated_verdict_with_data_docs(paths) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs)
    assert len(plan.cells) == 120
    [verdict] = gate_raw(paths, specs)
    assert verdict["status"] == "validated", verdict["failures"]
    assert verdict["stage"] == "raw" and verdict["failures"] == []
    stored = latest_verdict(paths, plan.run_id)
    assert stored is not None and stored["status"] == "validated"
    assert json.loads(stored["failed_expectations"]) == []
    docs = Path(str(stored["data_docs_url"]).removeprefix("file://"))
    assert docs.name == "index.html" and docs.is_file()
    pages = [
        page.relative_to(docs.parent / "validations") for page in docs.parent.glob("validations/**/*.html")
    ]
    assert {page.parts[0] for page in pages} == {"raw_files", "raw_responses", "raw_cells", "raw_rates"}
    assert RunPlan.load(paths, plan.run_id) == plan  # recorded for later re-validation


def test_a_missing_language_is_stopped(paths) -> None:
    plan = write_run(paths, specs_for(GRID), lambda rows: [r for r in rows if r["prompt_language"] != "ja"])
    outcome = validate_raw(paths, plan)
    assert {
        "raw_responses.prompt_language_complete",
        "raw_cells.cells_missing",
        "raw_responses.row_count_matches_plan",
    } <= _failed(outcome)
    assert _failure(outcome, "raw_responses.prompt_language_complete")["observed"]["missing_list"] == ["ja"]
    missing = _failure(outcome, "raw_cells.cells_missing")["observed"]
    assert missing["unexpected_count"] == 24
    assert {cell["prompt_language"] for cell in missing["unexpected_index_list"]} == {"ja"}


def test_one_language_all_unparseable_is_stopped(paths) -> None:
    def unparseable_german(rows):
        for row in rows:
            if row["prompt_language"] == "de":
                row.update(answer=None, parse_status="unparseable", response_text="Ich weiß nicht")
        return rows

    plan = write_run(paths, specs_for(GRID), unparseable_german)
    outcome = validate_raw(paths, plan)
    assert _failed(outcome) == {"raw_rates.parse_rate_at_threshold"}
    observed = _failure(outcome, "raw_rates.parse_rate_at_threshold")["observed"]
    assert observed["unexpected_index_list"] == [
        {"prompt_language": "de", "style": "classification", "parse_rate": 0.0, "min_parse_rate": 0.9}
    ]


def test_a_small_models_parse_rate_is_accepted_only_where_its_config_says_so(paths) -> None:
    def weak_japanese(rows):  # 18/24 parsed: 0.75
        for row in [r for r in rows if r["prompt_language"] == "ja"][:6]:
            row.update(answer=None, parse_status="unparseable")
        return rows

    strict = write_run(paths, specs_for(GRID), weak_japanese)
    assert _failed(validate_raw(paths, strict)) == {"raw_rates.parse_rate_at_threshold"}
    [lenient] = RunPlan.from_specs(specs_for(GRID, quality={"min_parse_rate_by_language": {"ja": 0.75}}))
    assert lenient.run_id == strict.run_id  # thresholds do not change what was asked
    assert validate_raw(paths, lenient).success


def test_duplicated_rows_are_stopped(paths) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs)
    again = [row_for(specs[0], cell) for cell in plan.cells[:5]]
    write_batch(paths.run_dir(plan.run_id), again, RAW_RESPONSE_SCHEMA)  # a retry that re-wrote a batch
    outcome = validate_raw(paths, plan)
    assert {
        "raw_responses.key_unique",
        "raw_cells.cells_duplicated",
        "raw_responses.row_count_matches_plan",
    } <= _failed(outcome)
    assert _failure(outcome, "raw_cells.cells_duplicated")["observed"]["unexpected_count"] == 5
    assert _failure(outcome, "raw_responses.row_count_matches_plan")["observed"]["observed_value"] == 125


@pytest.mark.parametrize(
    ("answer", "check"), [(7.0, "answer_at_or_below_scale_max"), (0.0, "answer_at_or_above_scale_min")]
)
def test_out_of_range_vsm_answers_are_stopped(paths, answer: float, check: str) -> None:
    def off_scale(rows):
        rows[3]["answer"] = answer
        return rows

    plan = write_run(paths, specs_for(GRID), off_scale)
    outcome = validate_raw(paths, plan)
    assert _failed(outcome) == {f"raw_responses.{check}"}
    [example] = _failure(outcome, f"raw_responses.{check}")["observed"]["unexpected_index_list"]
    assert example["answer"] == answer and example["item_id"] == plan.cells[3].item_id


def test_wvs_answers_are_checked_against_each_questions_own_codes(paths) -> None:
    grid = {
        "instrument": "wvs_culturespa",
        "settings": ["english"],
        "countries": ["US", "NG"],
        "strategies": ["unaware", "aware"],
        "items": ["Q1", "Q94"],
    }

    def answers(rows):  # Q1 is coded 1..4, Q94 0..2: 3 is valid for Q1 only
        for row in rows:
            row["answer"] = 3.0
        return rows

    plan = write_run(paths, specs_for(grid), answers)
    outcome = validate_raw(paths, plan)
    assert _failed(outcome) == {"raw_responses.answer_at_or_below_scale_max"}
    observed = _failure(outcome, "raw_responses.answer_at_or_below_scale_max")["observed"]
    assert observed["unexpected_count"] == 3  # Q94 of the persona-free prompt and of both personas
    assert {row["item_id"] for row in observed["unexpected_index_list"]} == {"Q94"}


def test_empty_prompts_and_unknown_values_are_stopped(paths) -> None:
    def corrupt(rows):
        rows[0]["prompt"] = "  "
        rows[1]["country"] = "XX"
        return rows

    outcome = validate_raw(paths, write_run(paths, specs_for(GRID), corrupt))
    assert {"raw_responses.prompt_not_empty", "raw_responses.country_allowed"} <= _failed(outcome)
    assert _failure(outcome, "raw_responses.country_allowed")["observed"]["unexpected_list"] == ["XX"]


def test_a_file_that_breaks_the_contract_types_is_stopped(paths) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs, lambda rows: rows[:-1])
    wrong = pa.schema(
        [field.with_type(pa.int64()) if field.name == "trial" else field for field in RAW_RESPONSE_SCHEMA]
    )
    write_batch(paths.run_dir(plan.run_id), [row_for(specs[0], plan.cells[-1])], wrong)
    outcome = validate_raw(paths, plan)
    assert _failed(outcome) == {"raw_files.file_schema_matches_contract"}
    [example] = _failure(outcome, "raw_files.file_schema_matches_contract")["observed"][
        "unexpected_index_list"
    ]
    assert example["column"] == "trial" and example["observed_type"] == "int64"


def test_a_parser_bug_that_keeps_answers_of_unparsed_rows_is_stopped(paths) -> None:
    def bug(rows):
        rows[0]["parse_status"] = "unparseable"  # answer 3 kept
        return rows

    outcome = validate_raw(paths, write_run(paths, specs_for(GRID), bug))
    assert _failed(outcome) == {"raw_responses.unparsed_rows_have_no_answer"}


def test_the_quarantined_verdict_lists_failing_expectations_with_observed_values(paths) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs, lambda rows: [r for r in rows if r["prompt_language"] != "ja"])
    [verdict] = gate_raw(paths, specs)
    assert verdict["status"] == "quarantined"
    stored = latest_verdict(paths, plan.run_id)
    assert stored is not None and stored["status"] == "quarantined" and stored["stage"] == "raw"
    failures = json.loads(stored["failed_expectations"])
    named = {f"{failure['checkpoint']}.{failure['check']}": failure for failure in failures}
    assert named["raw_responses.prompt_language_complete"]["observed"]["missing_list"] == ["ja"]
    assert "raw_responses.prompt_language_complete" in str(stored["reason"])
    assert Path(str(stored["data_docs_url"]).removeprefix("file://")).is_file()
