"""What the transform DAG costs on top of dbt itself, in the native Celery stack.

Brings up the production topology natively (tests/stack/native.py: Postgres, Redis, SeaweedFS,
Airflow on the CeleryExecutor with a `default` and a `gpu` worker, each with its own data dir),
writes synthetic VSM runs into the object store (the real Arrow schema, one compacted file per run
and table), then, in one run and on the same data:

1. triggers `culturewatch_transform` through the REST API and times it from trigger to the end of
   the DAG run (the write-audit-publish build of one `dbt build` in Cosmos's WATCHER producer,
   then one sensor per dbt node, then the quality gate and the marts Asset);
2. times a plain `dbt build` (the dbt CLI, the same project and data, a scratch database) after a
   raw-manifest scan, which a plain build needs to know what to read;

and prints both and their ratio (issue 14 item 6: target <= 1.5). Usage:

    python benchmarks/transform_overhead.py [--runs 4] [--countries 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # tests.stack.native: the stack the native test brings up

from culturewatch.orchestration.airflow_runs import TRANSFORM_DAG  # noqa: E402
from culturewatch.settings import DataPaths, data_paths  # noqa: E402
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA  # noqa: E402
from culturewatch.transform.warehouse_build import BUILD_DATABASE_ENV, write_raw_manifest  # noqa: E402
from tests.stack.native import NativeStack, wait_for  # noqa: E402

ITEMS = [f"m{number:02d}" for number in range(1, 25)]


def write_runs(paths: DataPaths, runs: int, countries: list[tuple[str, str]]) -> int:
    """`runs` VSM runs, every country asked in its own language and in English, 3 trials."""
    import pyarrow as pa

    rows_written = 0
    started = datetime(2026, 1, 1, tzinfo=UTC)
    for index in range(runs):
        run_id = f"bench-run-{index:03d}"
        rows = []
        for country, language in countries:
            for prompt_language in sorted({language, "en"}):
                for trial in range(3):
                    for number, item in enumerate(ITEMS):
                        rows.append(
                            {
                                "run_id": run_id, "model": "bench-model", "model_version": f"v{index}",
                                "instrument": "vsm2013", "item_id": item, "country": country,
                                "prompt_language": prompt_language, "style": "classification",
                                "strategy": "aware", "variant": "base", "trial": trial,
                                "prompt": f"{item} as an average person from {country}",
                                "response_text": str(1 + (number + index + trial) % 5),
                                "answer": float(1 + (number + index + trial) % 5),
                                "answer_method": "parsed", "parse_status": "ok", "requested_at": started,
                                "instrument_version": "2013.1.0", "parser_version": "bench",
                                "temperature": 0.0, "max_tokens": 8, "cache_hit": False,
                            }
                        )  # fmt: skip
        paths.store.write_parquet(
            f"raw/responses/run_id={run_id}",
            pa.Table.from_pylist(rows, schema=RAW_RESPONSE_SCHEMA),
            prefix="compacted-000000",
        )
        event = {
            "run_id": run_id, "instrument": "vsm2013", "model": "bench-model", "model_version": f"v{index}",
            "base_url": "http://127.0.0.1:1/v1", "prompt_language": "en", "cells_planned": len(rows),
            "requests_sent": len(rows), "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": None,
            "message": None,
        }  # fmt: skip
        events = [
            {**event, "event": "started", "cells_answered": 0, "recorded_at": started},
            {**event, "event": "completed", "cells_answered": len(rows), "recorded_at": started},
        ]
        paths.store.write_parquet(
            f"raw/runs/run_id={run_id}",
            pa.Table.from_pylist(events, schema=RUN_EVENT_SCHEMA),
            prefix="compacted-000000",
        )
        rows_written += len(rows)
    return rows_written


def time_transform(stack: NativeStack) -> tuple[float, dict[str, float]]:
    client = stack.client()
    wait_for(
        "the transform DAG parsed",
        lambda: client.get(f"/api/v2/dags/{TRANSFORM_DAG}").status_code == 200,
        600,
        3,
    )
    started = time.monotonic()
    reply = client.post(f"/api/v2/dags/{TRANSFORM_DAG}/dagRuns", json={"logical_date": None})
    reply.raise_for_status()
    run_id = reply.json()["dag_run_id"]
    while True:
        stack.check_alive()
        state = client.get(f"/api/v2/dags/{TRANSFORM_DAG}/dagRuns/{run_id}").json()["state"]
        if state in ("success", "failed"):
            break
        time.sleep(1)
    elapsed = time.monotonic() - started
    if state != "success":
        raise RuntimeError(f"the transform failed: {stack.process('worker-default').tail(60)}")
    tis = client.get(
        f"/api/v2/dags/{TRANSFORM_DAG}/dagRuns/{run_id}/taskInstances", params={"limit": 500}
    ).json()["task_instances"]
    producer = next(ti for ti in tis if ti["task_id"].endswith("dbt_producer_watcher"))
    sensors = [ti for ti in tis if ti["task_id"].startswith("dbt.") and ti is not producer]
    return elapsed, {
        "producer_s": float(producer["duration"] or 0),
        "sensors": float(len(sensors)),
        "sensor_s_sum": sum(float(ti["duration"] or 0) for ti in sensors),
    }


def time_plain_dbt(stack: NativeStack, scratch: Path) -> tuple[float, float]:
    """(manifest scan seconds, dbt CLI build seconds) on a scratch database, same data."""
    paths = data_paths(scratch / "data")
    database = scratch / "plain.duckdb"
    started = time.monotonic()
    write_raw_manifest(paths, database)
    scanned = time.monotonic() - started
    env = {
        **os.environ,
        **stack.store_env(),
        BUILD_DATABASE_ENV: str(database),
        "CULTUREWATCH_DATA_DIR": str(paths.root),
    }
    command = [
        sys.executable, "-m", "dbt.cli.main", "build",
        "--project-dir", str(REPO_ROOT / "dbt_project"), "--profiles-dir", str(REPO_ROOT / "dbt_project"),
        "--target-path", str(scratch / "target"),
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    built = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-4000:])
    return scanned, built


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--countries", type=int, default=20)
    args = parser.parse_args()
    from culturewatch.reference.countries import load_countries

    countries = [(country.country_code, country.language_code) for country in load_countries()][
        : args.countries
    ]
    stack = NativeStack.in_temp_dir()
    saved = dict(os.environ)
    try:
        stack.start_postgres()
        stack.start_redis()
        stack.start_object_store()
        os.environ.update(stack.store_env())
        stack.start_airflow()
        rows = write_runs(data_paths(stack.data_dir), args.runs, countries)
        load_before = os.getloadavg()
        dag_s, detail = time_transform(stack)
        phases = [  # the producer's task log (Airflow writes task logs under its home)
            line.split("published build", 1)[1].strip()
            for log_file in (stack.airflow_home / "logs").rglob("*.log")
            if "dbt_producer_watcher" in str(log_file)
            for line in log_file.read_text(errors="replace").splitlines()
            if "published build" in line
        ]
        scan_s, dbt_s = time_plain_dbt(stack, stack.root / "plain")
        load_after = os.getloadavg()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        stack.cleanup()
    plain = scan_s + dbt_s
    print(f"machine: {platform.node()} ({os.cpu_count()} cores), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"data: {args.runs} runs, {rows} raw rows in the object store (SeaweedFS)")
    print(f"load average before/after: {load_before[0]:.1f} / {load_after[0]:.1f}")
    print(
        f"transform DAG, trigger to end:   {dag_s:6.1f} s  (producer task {detail['producer_s']:.1f} s, "
        f"{detail['sensors']:.0f} sensors, {detail['sensor_s_sum']:.1f} s summed)"
    )
    print(f"  the producer's build phases: {phases[-1] if phases else '(not found in the worker log)'}")
    print(f"plain dbt build (CLI):           {dbt_s:6.1f} s  (+ raw manifest scan {scan_s:.1f} s)")
    print(f"ratio transform / plain (scan included): {dag_s / plain:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
