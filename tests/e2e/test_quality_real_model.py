"""The data-quality gates on the embedded default's real output: a small grid probed on the real
local model (the 0.5B test model, llama.cpp), then the raw checkpoint, dbt, the marts checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from culturewatch.probing.orchestrate import plan_probe
from culturewatch.probing.runner import run_probe
from culturewatch.quality.gates import gate_raw
from culturewatch.quality.verdicts import run_verdicts
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.storage.warehouse import connect_warehouse
from culturewatch.transform.warehouse_build import build_marts
from tests.e2e.conftest import TEST_MODEL, TEST_MODEL_VERSION

pytestmark = [pytest.mark.slow, pytest.mark.long(70)]

PORT = 8098


def test_real_model_output_passes_both_checkpoints(paths, test_model_path: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "models:\n"
        f"  - name: {TEST_MODEL}\n"
        f"    base_url: http://127.0.0.1:{PORT}/v1\n"
        f"    version: {TEST_MODEL_VERSION}\n"
        "    quality: {min_parse_rate: 0.8}\n"  # the 0.5B model's honest rate, accepted knowingly
        "grid:\n  settings: [aligned]\n  countries: [US, JP]\n  max_tokens: 8\n"
        "client:\n  concurrency: 1\n  max_retries: 1\n  timeout_s: 60\n"
    )
    server = LocalModelServer(TEST_MODEL, test_model_path, port=PORT, log_path=tmp_path / "server.log")
    with server:
        specs = plan_probe(config)
        for spec in specs:
            run_probe(spec, paths)
    assert sorted(spec.prompt_language for spec in specs) == ["en", "ja"]

    [raw] = gate_raw(paths, specs)
    assert raw["status"] == "validated", json.dumps(raw["failures"], indent=1)
    outcome = build_marts(paths)  # the marts audit runs inside the build, before it is published
    assert outcome.published is not None
    [marts] = outcome.verdicts
    assert marts["status"] == "validated", json.dumps(marts["failures"], indent=1)

    run_id = specs[0].run_id
    assert [(row["stage"], row["status"]) for row in run_verdicts(paths, run_id)] == [
        ("raw", "validated"),
        ("marts", "validated"),
    ]
    for verdict in (raw, marts):
        assert Path(str(verdict["data_docs_url"]).removeprefix("file://")).is_file()
    with connect_warehouse(paths) as con:  # the published build
        [(scored,)] = con.execute(
            "select count(*) from marts.vsm_country_scores where run_id = ?", [run_id]
        ).fetchall()
    assert scored == 2  # one questionnaire pass per country, in its own language
