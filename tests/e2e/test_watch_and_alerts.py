"""The watch and alerts DAGs under `airflow dags test` (SQLite), against the real local model and
real local alert receivers.

`dags test` runs one DAG run in-process and no scheduler, so the probe run the watch triggers
is created (queued) but not executed: the test reads it from the metadata DB and runs the probe
DAG with exactly its conf, as a scheduler would.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from culturewatch.alerts.ledger import read_ledger
from culturewatch.discovery.sightings import read_sightings
from culturewatch.orchestration.airflow_runs import (
    ALERTS_DAG,
    PROBE_DAG,
    WATCH_DAG,
    ensure_pools,
    init_airflow,
    run_dag_test,
)
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_table
from tests.alert_receivers import (
    SmtpReceiver,
    WebhookReceiver,
    regression_row,
    write_alerts_config,
    write_regressions,
)
from tests.e2e.conftest import TEST_MODEL

pytestmark = [pytest.mark.slow, pytest.mark.long(85)]

PORT = 8097


def dag_runs(paths: DataPaths, dag_id: str) -> list[tuple[str, str, dict]]:
    with sqlite3.connect(paths.root / "airflow" / "airflow.db") as con:
        rows = con.execute(
            "select run_id, state, conf from dag_run where dag_id = ? order by id", [dag_id]
        ).fetchall()
    return [(run_id, state, json.loads(conf) if conf else {}) for run_id, state, conf in rows]


def test_watch_discovers_a_new_version_triggers_one_probe_and_never_probes_it_twice(
    paths, test_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "watch.yaml"
    config.write_text(
        f"models:\n  - name: {TEST_MODEL}\n    base_url: http://127.0.0.1:{PORT}/v1\n    version: auto\n"
        "    pool_size: 1\n"
        "grid:\n  settings: [english]\n  countries: [JP]\n  items: [m01, m02, m03]\n  max_tokens: 8\n"
        "client:\n  concurrency: 1\n  max_retries: 1\n  timeout_s: 60\n"
    )
    monkeypatch.setenv("CULTUREWATCH_CONFIG", str(config))  # the fleet the DAGs are parsed for
    server = LocalModelServer(TEST_MODEL, test_model_path, port=PORT, log_path=tmp_path / "server.log")
    with server:
        init_airflow(paths)
        assert ensure_pools(paths) == {
            f"culturewatch_127_0_0_1_{PORT}": {
                "slots": 1,
                "description": "culturewatch: probe tasks of one endpoint",
                "include_deferred": False,
            }
        }
        run_dag_test(paths, WATCH_DAG, {"config": str(config), "wait_for_probes": False})
        [(run_id, state, conf)] = dag_runs(paths, PROBE_DAG)
        assert state == "queued" and conf["model"] == TEST_MODEL and conf["version"].startswith("digest-")
        assert run_id.startswith("probe__qwen2-5-coder-0-5b-instruct--digest-")

        run_dag_test(paths, PROBE_DAG, conf)  # what the scheduler would run
        assert server.chat_requests_served() == 3
        data_run_id = run_id.removeprefix("probe__")
        rows = read_table(paths.run_dir(data_run_id)).to_pylist()
        assert len(rows) == 3 and {row["model_version"] for row in rows} == {conf["version"]}

        run_dag_test(paths, WATCH_DAG, {"config": str(config), "wait_for_probes": False})
        assert server.chat_requests_served() == 3  # not probed twice
    triggered = [run for run in dag_runs(paths, PROBE_DAG) if run[0].startswith("probe__")]
    assert triggered == [(run_id, "queued", conf)]  # the second watch triggered nothing
    sightings = [row for row in read_sightings(paths).to_pylist() if row["model"] == TEST_MODEL]
    assert len(sightings) == 2 and {row["model_version"] for row in sightings} == {conf["version"]}
    assert all(row["probe_model"] == TEST_MODEL for row in sightings)


def test_alerts_dag_delivers_each_alert_once_per_channel(
    paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a hand-made marts.alignment_regressions with the contract's columns (the alert
    side only; the regressions themselves are the dbt marts' business)."""
    with WebhookReceiver() as http, SmtpReceiver() as smtp:
        routes = "  routes:\n    - models: [qwen]\n      owners: [alice@example.org]\n"
        config = write_alerts_config(tmp_path / "alerts.yaml", "qwen", http, smtp, monkeypatch, routes)
        write_regressions(  # two causes: the VSM run (JP and US), the CultureSPA run (JP)
            paths,
            [
                regression_row(),
                regression_row(regression_id="rid-2", country="US", prompt_language="en"),
                regression_row(regression_id="rid-3", metric="cas_aware", run_id="qwen--v2--spa"),
            ],
        )
        init_airflow(paths)
        run_dag_test(paths, ALERTS_DAG, {"config": str(config)})
        run_dag_test(paths, ALERTS_DAG, {"config": str(config)})  # a re-run sends nothing
    assert len(http.to("/slack")) == len(http.to("/hook")) == len(smtp.mails) == 2
    affected = {
        metric["metric"]: [row["regression_id"] for row in metric["affected"]]
        for post in http.to("/hook")
        for metric in post.json()["metrics"]
    }
    assert affected == {"deviation_ratio_aligned": ["rid-1", "rid-2"], "cas_aware": ["rid-3"]}
    assert {post.headers["Idempotency-Key"] for post in http.to("/hook")} == {
        post.json()["alert_id"] for post in http.to("/hook")
    }
    assert all("alice@example.org" in mail.recipients for mail in smtp.mails)
    ledger = read_ledger(paths)
    assert len(ledger) == 6 and len({(row["alert_id"], row["channel"]) for row in ledger}) == 6
