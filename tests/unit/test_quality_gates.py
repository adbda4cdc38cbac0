"""Verdicts over a run's life: quarantine, re-validation after a fix (released), release by hand;
the versioned suites; the "data quality failed" notification through the Airflow notifier."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from culturewatch.errors import CulturewatchError
from culturewatch.quality.gates import DataQualityFailed, gate_raw, raise_if_quarantined, release, revalidate
from culturewatch.quality.notify import WEBHOOK_ENV
from culturewatch.quality.suites import exported_files
from culturewatch.quality.verdicts import run_verdicts
from culturewatch.storage.parquet import write_batch
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA
from tests.unit.quality_fixture import row_for, specs_for, write_run

GRID = {"settings": ["english", "aligned"], "countries": ["US", "JP"]}


def test_committed_suites_and_checkpoints_are_what_the_code_declares() -> None:
    for path, text in exported_files().items():
        assert path.is_file(), f"{path} missing: run python -m culturewatch.quality.suites"
        assert path.read_text() == text, f"{path} differs: run python -m culturewatch.quality.suites"


def test_a_quarantined_run_is_released_after_the_fix_and_raw_data_is_never_deleted(paths) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs, lambda rows: [r for r in rows if r["prompt_language"] != "ja"])
    files_before = {file.path for file in paths.run_dir(plan.run_id).files()}
    [verdict] = gate_raw(paths, specs)
    assert verdict["status"] == "quarantined"
    with pytest.raises(DataQualityFailed) as failed:
        raise_if_quarantined([verdict])
    assert "raw_responses.prompt_language_complete" in str(failed.value)

    # the fix: the probe resumes and asks the missing language (append-only, like a retry)
    missing = [row_for(specs[0], cell) for cell in plan.cells if cell.prompt_language == "ja"]
    write_batch(paths.run_dir(plan.run_id), missing, RAW_RESPONSE_SCHEMA)
    [again] = revalidate(paths, plan.run_id)
    assert again["status"] == "released", again["failures"]
    assert files_before <= {file.path for file in paths.run_dir(plan.run_id).files()}
    assert [row["status"] for row in run_verdicts(paths, plan.run_id)] == ["quarantined", "released"]
    raise_if_quarantined([again])  # passes


def test_ops_release_by_hand_with_a_reason(paths) -> None:
    specs = specs_for(GRID)
    plan = write_run(paths, specs, lambda rows: rows[:-1])
    gate_raw(paths, specs)
    with pytest.raises(CulturewatchError, match="reason"):
        release(paths, plan.run_id, " ")
    release(paths, plan.run_id, "one missing cell of a 0.5B test model accepted")
    latest = run_verdicts(paths, plan.run_id)[-1]
    assert (latest["status"], latest["stage"]) == ("released", "manual")
    assert latest["reason"] == "one missing cell of a 0.5B test model accepted"


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_notifier_sends_data_quality_failed_with_observed_values(paths, monkeypatch) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{server.server_port}/hook")
    specs = specs_for(GRID)

    def unparseable_japanese(rows):
        for row in rows:
            if row["prompt_language"] == "ja":
                row.update(answer=None, parse_status="unparseable")
        return rows

    write_run(paths, specs, unparseable_japanese)
    verdicts = gate_raw(paths, specs)
    try:
        with pytest.raises(DataQualityFailed) as failed:
            raise_if_quarantined(verdicts)
        # imported here, not at collection: importing Airflow configures it for the whole session
        # before the DAG tests point it at their own home
        from culturewatch.orchestration.quality_notifier import DataQualityFailedNotifier

        DataQualityFailedNotifier()({"exception": failed.value, "ti": "raw_quality_gate"})
    finally:
        server.shutdown()
    [payload] = _Webhook.received
    assert payload["kind"] == "data_quality_failed"
    text = payload["text"]
    assert text.startswith(f"data quality failed: run {specs[0].run_id} quarantined at stage raw")
    assert "raw_rates.parse_rate_at_threshold" in text
    assert '"parse_rate": 0.0' in text and '"prompt_language": "ja"' in text
    assert payload["runs"][0]["data_docs_url"].endswith("/raw/index.html")


def test_the_validate_command_revalidates_and_releases(paths, capsys) -> None:
    from culturewatch.cli import main

    specs = specs_for(GRID)
    plan = write_run(paths, specs, lambda rows: rows[:-1])
    gate_raw(paths, specs)
    assert main(["--data-dir", str(paths.root), "validate", "--run-id", plan.run_id]) == 2
    out = capsys.readouterr().out
    assert "quarantined" in out and "raw_cells.cells_missing" in out and "Data Docs: file://" in out
    assert main(["--data-dir", str(paths.root), "validate", "--release", "--run-id", plan.run_id]) == 2
    released = ["--data-dir", str(paths.root), "validate", "--release", "--run-id", plan.run_id]
    assert main([*released, "--reason", "accepted: one cell lost"]) == 0
    assert [row["status"] for row in run_verdicts(paths, plan.run_id)] == [
        "quarantined",
        "quarantined",
        "released",
    ]
