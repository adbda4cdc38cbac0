"""The production topology without Docker: a real DAG chain through Celery workers on Postgres + Redis.

Postgres 15 and Redis from Debian, SeaweedFS as the S3 object store, Airflow with the
CeleryExecutor (api-server, scheduler, dag-processor, triggerer, a worker on `default`, a worker on
`gpu`), each Airflow process with a data dir of its own — only the object store and the databases
connect them, as on several hosts — and the real local model server (the test model) on
127.0.0.1. The probe DAG is triggered through the authenticated REST API, as ops or the watch DAG
do; everything after it runs by asset events (transform on the raw responses, then every DAG
scheduled on the marts: alerts, quality gates), never `dags test`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from culturewatch.orchestration.airflow_runs import PROBE_DAG, TRANSFORM_DAG
from culturewatch.orchestration.lanes import load_fleet, pools_document
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.settings import MODELS_DIR_ENV, PROJECT_ROOT, data_paths
from culturewatch.storage.warehouse import connect_warehouse
from tests.e2e.conftest import TEST_MODEL, TEST_MODEL_VERSION, write_config
from tests.stack.native import NativeStack, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.long(181)]
MODEL_PORTS = (8099, 8100)
CHAIN_TIMEOUT_S = 1200


def _model_port() -> int:
    for port in MODEL_PORTS:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
        except httpx.ConnectError:
            return port
    raise AssertionError(f"ports {MODEL_PORTS} are both taken: stop what listens there")


@pytest.fixture(scope="module")
def stack(test_model_path: Path) -> Iterator[tuple[NativeStack, LocalModelServer, Path]]:
    stack = NativeStack.in_temp_dir()
    port = _model_port()
    config = write_config(stack.root / "fleet.yaml", ["US"], port=port)
    stack.extra_env.update(
        {
            "CULTUREWATCH_CONFIG": str(config),
            "CULTUREWATCH_WATCH_SCHEDULE": "none",  # this test triggers the chain itself
            MODELS_DIR_ENV: os.environ.get(MODELS_DIR_ENV, str(PROJECT_ROOT / "models")),
        }
    )
    server = LocalModelServer(
        TEST_MODEL, test_model_path, port=port, log_path=stack.root / "logs" / "model.log"
    )
    saved = dict(os.environ)
    try:
        server.start()
        stack.start_postgres()
        stack.start_redis()
        stack.start_object_store()
        os.environ.update(stack.store_env())  # this test reads the store like one more host
        stack.start_airflow()
        pools = stack.root / "pools.json"
        pools.write_text(json.dumps(pools_document(load_fleet(config))))
        stack.airflow("pools", "import", str(pools))
        yield stack, server, config
    finally:
        os.environ.clear()
        os.environ.update(saved)
        stack.cleanup()
        server.stop()


def _chain(client: httpx.Client, start: str) -> list[str]:
    """DAGs reached from `start` through asset events (producer task -> asset -> scheduled DAG)."""
    assets = client.get("/api/v2/assets", params={"limit": 100}).json()["assets"]
    chain, frontier = [start], [start]
    while frontier:
        dag_id = frontier.pop()
        for asset in assets:
            if any(task["dag_id"] == dag_id for task in asset["producing_tasks"]):
                for consumer in asset["scheduled_dags"]:
                    if consumer["dag_id"] not in chain:
                        chain.append(consumer["dag_id"])
                        frontier.append(consumer["dag_id"])
    return chain


def _runs(client: httpx.Client, dag_id: str) -> list[dict]:
    return client.get(f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 50}).json()["dag_runs"]


def _failure_report(stack: NativeStack, client: httpx.Client, dag_id: str, run_id: str) -> str:
    tis = client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    failed = [ti["task_id"] for ti in tis if ti["state"] not in ("success", "skipped")]
    logs = {name: stack.process(name).tail(30) for name in ("scheduler", "worker-default", "worker-gpu")}
    return f"{dag_id} {run_id}: tasks not successful {failed}\n" + "\n".join(
        f"--- {name}\n{text}" for name, text in logs.items()
    )


def test_probe_transform_quality_chain_on_celery(stack, tmp_path: Path) -> None:
    stack, server, config = stack
    anonymous = httpx.get(f"{stack.api_url}/api/v2/dags", timeout=30)
    assert anonymous.status_code == 401, "the API answers without authentication"
    client = stack.client()

    def parsed(dag_id: str) -> bool:
        stack.check_alive()
        return client.get(f"/api/v2/dags/{dag_id}").status_code == 200

    for dag_id in (PROBE_DAG, TRANSFORM_DAG):
        wait_for(f"{dag_id} parsed by the dag-processor", lambda d=dag_id: parsed(d), 600, 3)
    chain = _chain(client, PROBE_DAG)
    assert chain[:2] == [PROBE_DAG, TRANSFORM_DAG], chain
    assert len(chain) >= 3, f"nothing is scheduled on the marts asset: {chain}"
    for dag_id in chain[2:]:
        wait_for(f"{dag_id} parsed", lambda d=dag_id: parsed(d), 300, 3)

    started = time.monotonic()
    trigger = client.post(
        f"/api/v2/dags/{PROBE_DAG}/dagRuns", json={"logical_date": None, "conf": {"config": str(config)}}
    )
    assert trigger.status_code == 200, trigger.text
    probe_run = trigger.json()["dag_run_id"]

    timings: dict[str, float] = {}
    deadline = time.monotonic() + CHAIN_TIMEOUT_S
    for dag_id in chain:
        while True:
            stack.check_alive()
            assert time.monotonic() < deadline, (
                f"chain not done after {CHAIN_TIMEOUT_S}s: {dag_id}, {timings}"
            )
            runs = _runs(client, dag_id)
            if dag_id != PROBE_DAG:
                runs = [run for run in runs if run["run_type"] == "asset_triggered"]
            else:
                runs = [run for run in runs if run["dag_run_id"] == probe_run]
            done = [run for run in runs if run["state"] in ("success", "failed")]
            if done:
                run = done[0]
                assert run["state"] == "success", _failure_report(stack, client, dag_id, run["dag_run_id"])
                timings[dag_id] = round(time.monotonic() - started, 1)
                break
            time.sleep(3)
    print(f"chain {chain} finished at (s after trigger): {timings}")

    # the probe ran in its endpoint's lane on the gpu queue, on the gpu worker; dbt on default
    tis = client.get(f"/api/v2/dags/{PROBE_DAG}/dagRuns/{probe_run}/taskInstances").json()["task_instances"]
    lanes = [ti for ti in tis if ti["task_id"].startswith("ask_") and ti["state"] == "success"]
    assert lanes and {ti["queue"] for ti in lanes} == {"gpu"}, [(ti["task_id"], ti["queue"]) for ti in tis]
    gpu_log = stack.process("worker-gpu").log.read_text(errors="replace")
    default_log = stack.process("worker-default").log.read_text(errors="replace")
    assert all(f"task_id='{ti['task_id']}'" in gpu_log for ti in lanes)
    assert f"dag_id='{TRANSFORM_DAG}'" in default_log and f"dag_id='{TRANSFORM_DAG}'" not in gpu_log
    assert server.chat_requests_served() >= 24, "the probe did not ask the model server"

    # no shared filesystem: the probe's answers are in the object store, not in any host's dir
    reader = data_paths(stack.data_dir)
    assert reader.store.url.startswith("s3://")
    raw = [file.path for file in reader.store.list_files("raw/responses")]
    assert len(raw) == 1, raw  # a complete run is one file per table (compacted, or one batch)
    hosts = stack.root / "hosts"
    assert not any(hosts.rglob("*.parquet")), "a raw file landed on a host's disk"
    assert (stack.service_data_dir("worker-default") / "build" / "state.duckdb").is_file()  # the builder
    assert not (stack.service_data_dir("worker-gpu") / "build").exists()
    # the marts hold the run, built by the transform DAG from what the probe wrote, read by a host
    # that shares nothing with the workers but the store (the published build is downloaded)
    with connect_warehouse(reader) as warehouse:
        [(run_id, status, version)] = warehouse.execute(
            "select run_id, status, model_version from marts.runs where model = ?", [TEST_MODEL]
        ).fetchall()
        scored = warehouse.execute(
            "select count(*) from marts.vsm_country_scores where run_id = ? and country = 'US'", [run_id]
        ).fetchone()[0]
    assert status == "complete" and version == TEST_MODEL_VERSION and scored >= 1

    # the Alignment view is served by the API server, behind authentication
    assert httpx.get(f"{stack.api_url}/culturewatch/alignment", timeout=30).status_code == 401
    page = client.get("/culturewatch/alignment")
    assert page.status_code == 200 and f'<span id="model-name">{TEST_MODEL}</span>' in page.text
    assert run_id in page.text
    assert list((stack.service_data_dir("api-server") / "cache" / "warehouse").glob("*.duckdb"))
    plugins = client.get("/api/v2/plugins").json()["plugins"]
    views = [view for plugin in plugins for view in plugin.get("external_views", [])]
    assert any(view["name"] == "Alignment" and view["url_route"] == "alignment" for view in views)
