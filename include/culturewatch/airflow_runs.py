"""Run the project's DAGs with `airflow dags test` on SQLite: the embedded default's control plane."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.settings import DATA_DIR_ENV, PROJECT_ROOT, DataPaths

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
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def _airflow(paths: DataPaths, args: list[str], while_running: Callable[[], None] | None = None) -> None:
    """Run an airflow CLI command, its output to a log file; `while_running` is polled meanwhile."""
    executable = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
    paths.logs.mkdir(parents=True, exist_ok=True)
    log_file = paths.logs / f"airflow-{'-'.join(arg.replace('/', '_') for arg in args[:3])}.log"
    with log_file.open("w") as handle:
        process = subprocess.Popen(
            [executable, *args], env=airflow_env(paths), stdout=handle, stderr=subprocess.STDOUT
        )
        while process.poll() is None:
            if while_running:
                while_running()
            time.sleep(1)
        if while_running:
            while_running()
    if process.returncode != 0:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-40:])
        raise CulturewatchError(
            f"`airflow {' '.join(args)}` failed with code {process.returncode}; log {log_file}:\n{tail}"
        )


def init_airflow(paths: DataPaths) -> None:
    """Create or migrate the SQLite metadata database (idempotent)."""
    (paths.root / "airflow").mkdir(parents=True, exist_ok=True)
    _airflow(paths, ["db", "migrate"])


def ensure_pools(paths: DataPaths, config_path: Path | None = None) -> dict[str, dict[str, object]]:
    """Create or resize the probe pools of the fleet config (one per endpoint); idempotent."""
    from culturewatch.scheduling import load_fleet, pools_document

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
) -> None:
    """`airflow dags test` one DAG run in-process; raises with the log tail if any task fails."""
    args = ["dags", "test", dag_id]
    if conf:
        args += ["--conf", json.dumps(conf)]
    _airflow(paths, args, while_running)
