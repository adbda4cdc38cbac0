"""Secrets never leave the process, also under Airflow: the probe DAG run with credentials in its
endpoint's base_url writes them nowhere but in the config file: not in task logs (httpx's lines
included), rendered fields, XCom or anything else in Airflow's database, nor in the data dir."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from culturewatch.orchestration.airflow_runs import PROBE_DAG, init_airflow, run_dag_test
from tests.faults.conftest import run_events, stored_rows, write_config
from tests.faults.fault_server import FaultServer

pytestmark = pytest.mark.long(30)  # seconds, measured on 2 cores: handed out first

SECRET = "s3cret-airflow-pw"


def test_the_probe_dag_logs_and_renders_no_credentials(paths, tmp_path: Path, monkeypatch) -> None:
    with FaultServer("ok", credentials=("alice", SECRET)) as server:
        url = server.base_url.replace("127.0.0.1", f"alice:{SECRET}@127.0.0.1")
        config = write_config(tmp_path / "fleet.yaml", url)
        monkeypatch.setenv("CULTUREWATCH_CONFIG", str(config))  # the fleet the DAG is parsed for
        init_airflow(paths)
        run_dag_test(paths, PROBE_DAG, {"config": str(config)})
    assert len(stored_rows(paths)) == 3 and server.unauthorised == 0
    assert {event["base_url"] for event in run_events(paths)} == {f"http://***@127.0.0.1:{server.port}/v1"}
    written = [
        path for path in paths.root.rglob("*") if path.is_file() and SECRET.encode() in path.read_bytes()
    ]
    assert written == []  # task logs, Airflow's DB (XCom), run events, raw data, cache, GX output
    logs = "\n".join(path.read_text(errors="replace") for path in paths.root.rglob("*.log"))
    assert "HTTP Request: POST http://***@127.0.0.1" in logs and "***" in logs
    with sqlite3.connect(paths.root / "airflow" / "airflow.db") as db:
        rendered = " ".join(
            str(row) for row in db.execute("select rendered_fields from rendered_task_instance_fields")
        )
    assert rendered and SECRET not in rendered
