"""Run the project's DAGs with `airflow dags test` on SQLite: the embedded default's control plane.

Each `airflow` command runs in its own process group. When the caller is interrupted (Ctrl-C, or
SIGTERM which the CLI turns into the same), the group gets SIGINT: the running probe task stops
its requests, writes every answer that arrived and records a `failed` (interrupted) event. `dags
test` itself then keeps waiting for the task's retry and ignores SIGTERM, so once the caller's
`settled` check says the work is written (or after a grace period) the group is killed; nothing
of the process tree is left behind.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.settings import DATA_DIR_ENV, PROJECT_ROOT, DataPaths

log = logging.getLogger(__name__)
INTERRUPT_GRACE_S = 15.0
"""How long an interrupted `airflow` command gets to let its task write what it has (that takes
about a second) and exit, before its process group is killed."""

PROBE_DAG = "culturewatch_probe"
TRANSFORM_DAG = "culturewatch_transform"
WATCH_DAG = "culturewatch_watch"
ALERTS_DAG = "culturewatch_alerts"


def airflow_env(paths: DataPaths) -> dict[str, str]:
    """An isolated Airflow home in the data dir, the project's DAGs, no examples, no telemetry."""
    home = paths.root / "airflow"
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        DATA_DIR_ENV: str(paths.root),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # `culturewatch ui` on the same home shows them unpaused (the transform and alerts DAGs
        # follow Assets: paused, they would never run)
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        # the watch polls endpoints on a schedule only where one is asked for: the demo's `airflow
        # dags test` would otherwise store it @hourly in this home, and `culturewatch ui` on the
        # same home would run it (and trigger probes) as soon as it is unpaused
        "CULTUREWATCH_WATCH_SCHEDULE": os.environ.get("CULTUREWATCH_WATCH_SCHEDULE", "none"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def _airflow(
    paths: DataPaths,
    args: list[str],
    while_running: Callable[[], None] | None = None,
    settled: Callable[[], bool] | None = None,
) -> None:
    """Run an airflow CLI command, its output to a log file; `while_running` is polled meanwhile.
    Interrupted, it stops the command's process group (see `stop_process_group`)."""
    executable = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
    paths.logs.mkdir(parents=True, exist_ok=True)
    log_file = paths.logs / f"airflow-{'-'.join(arg.replace('/', '_') for arg in args[:3])}.log"
    with log_file.open("w") as handle:
        process = subprocess.Popen(
            [executable, *args],
            env=airflow_env(paths),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while process.poll() is None:
                if while_running:
                    while_running()
                time.sleep(1)
        except BaseException:
            stop_process_group(process, settled=settled)
            raise
        if while_running:
            while_running()
    if process.returncode != 0:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-40:])
        raise CulturewatchError(
            f"`airflow {' '.join(args)}` failed with code {process.returncode}; log {log_file}:\n{tail}"
        )


def stop_process_group(
    process: subprocess.Popen,
    grace_s: float = INTERRUPT_GRACE_S,
    settled: Callable[[], bool] | None = None,
) -> None:
    """Interrupt a child started in its own session and everything it started: SIGINT, then, once
    it exited, `settled()` is true (its work is written) or `grace_s` passed, SIGKILL to the group
    (an `airflow dags test` waiting for a retry ignores SIGTERM)."""
    if process.poll() is not None:
        return
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGINT)
    deadline = time.monotonic() + grace_s
    try:
        time.sleep(0.5)
        while process.poll() is None and time.monotonic() < deadline:
            if settled is not None and settled():
                break
            time.sleep(0.5)
    finally:
        try:
            os.killpg(group, signal.SIGKILL)  # also what it started, whether it exited or not
        except ProcessLookupError:
            pass
        process.wait()


def init_airflow(paths: DataPaths) -> None:
    """Create or migrate the SQLite metadata database (idempotent)."""
    (paths.root / "airflow").mkdir(parents=True, exist_ok=True)
    _airflow(paths, ["db", "migrate"])


def ensure_pools(paths: DataPaths, config_path: Path | None = None) -> dict[str, dict[str, object]]:
    """Create or resize the probe pools of the fleet config (one per endpoint); idempotent."""
    from culturewatch.orchestration.lanes import load_fleet, pools_document

    pools = pools_document(load_fleet(config_path))
    if pools:
        document = paths.root / "airflow" / "culturewatch-pools.json"
        document.parent.mkdir(parents=True, exist_ok=True)
        document.write_text(json.dumps(pools, indent=2))
        _airflow(paths, ["pools", "import", str(document)])
    return pools


def run_dag_test(
    paths: DataPaths,
    dag_id: str,
    conf: dict[str, object] | None = None,
    while_running: Callable[[], None] | None = None,
    settled: Callable[[], bool] | None = None,
) -> None:
    """`airflow dags test` one DAG run in-process; raises with the log tail if any task fails.
    `settled`: interrupted, whether the run's work is written (so the process can be killed)."""
    args = ["dags", "test", dag_id]
    if conf:
        args += ["--conf", json.dumps(conf)]
    _airflow(paths, args, while_running, settled)
