"""`culturewatch ui`: the Airflow UI on this machine with the project's settings, the one local path
for operators (production is docker-compose.yaml).

What it runs: Airflow's api-server, scheduler, dag-processor and triggerer (LocalExecutor, SQLite
metadata in `<data dir>/airflow/`, the same Airflow home the demo's `airflow dags test` runs use,
so their DAG runs are in the UI), the project's DAGs and plugin (the Alignment view), one admin
login (Airflow's simple auth manager; the password is generated once and kept in
`<data dir>/airflow/passwords.json`, mode 0600), every project DAG unpaused once it is parsed, and
the watch DAG manual unless $CULTUREWATCH_WATCH_SCHEDULE says otherwise (it would otherwise poll
the configured endpoints every hour). It prints the URL and the login, and Ctrl-C (or SIGTERM) stops
every process it started, by process group.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from culturewatch.errors import CulturewatchError
from culturewatch.links import VIEW_MOUNT, VIEW_PAGE
from culturewatch.orchestration.airflow_api import PROJECT_TAG, api_client, api_is_healthy
from culturewatch.orchestration.airflow_runs import airflow_env, ensure_pools, init_airflow
from culturewatch.service_processes import (
    Process,
    free_port,
    port_is_free,
    raise_if_any_stopped,
    spawn,
    wait_for,
)
from culturewatch.settings import DataPaths

ADMIN_USER = "admin"
# Started in two steps. The scheduler's tasks report to the API server from their first second (the
# execution API): started before it answers, a run queued at once (the transform of an asset event
# that `culturewatch demo` left in this home) fails with "Connection refused".
BEFORE_THE_API = ("api-server", "dag-processor")
AFTER_THE_API = ("scheduler", "triggerer")
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


@dataclass
class LocalUI:
    """The local Airflow of one data dir, on 127.0.0.1:`port`."""

    paths: DataPaths
    port: int = 8080
    config: Path | None = None
    processes: list[Process] = field(default_factory=list)
    # where the scheduler's and the triggerer's log servers listen: free ports, not Airflow's fixed
    # 8793/8794, which a second Airflow on the machine (another data dir's UI, a worker) holds
    log_server_ports: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))

    @property
    def home(self) -> Path:
        return self.paths.root / "airflow"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def view_url(self) -> str:
        return f"{self.url}/plugin/{VIEW_PAGE}"

    @property
    def password(self) -> str:
        return str(json.loads((self.home / "passwords.json").read_text())[ADMIN_USER])

    def _secret(self, name: str) -> str:
        """A secret generated once per Airflow home (so sessions survive a restart), mode 0600."""
        path = self.home / "ui-secrets.json"
        stored = json.loads(path.read_text()) if path.exists() else {}
        if name not in stored:
            stored[name] = secrets.token_urlsafe(32)
            path.write_text(json.dumps(stored))
            path.chmod(0o600)
        return str(stored[name])

    def env(self) -> dict[str, str]:
        env = airflow_env(self.paths)
        env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__API__SECRET_KEY": self._secret("api_secret_key"),
                "AIRFLOW__API_AUTH__JWT_SECRET": self._secret("jwt_secret"),
                "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.log_server_ports[0]),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.log_server_ports[1]),
            }
        )
        if self.config is not None:
            env["CULTUREWATCH_CONFIG"] = str(self.config.resolve())
        return env

    def start(self, timeout_s: float = 300) -> LocalUI:
        """Migrate the metadata DB, create the pools, start the API server and the DAG processor,
        then, once the API answers, the scheduler and the triggerer; wait until the project's DAGs
        are parsed, and unpause them."""
        logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per poll
        if not port_is_free(self.port):
            raise CulturewatchError(f"port {self.port} on 127.0.0.1 is in use: choose another with --port")
        if self.config is not None and not self.config.is_file():
            raise CulturewatchError(f"--config {self.config}: no such file")
        self.home.mkdir(parents=True, exist_ok=True)
        passwords = self.home / "passwords.json"
        if not passwords.exists():
            passwords.write_text(json.dumps({ADMIN_USER: secrets.token_urlsafe(12)}))
            passwords.chmod(0o600)
        init_airflow(self.paths)
        ensure_pools(self.paths, self.config)
        try:
            self._spawn(BEFORE_THE_API)
            wait_for("the Airflow API server", self._healthy, timeout_s, 2)
            self._spawn(AFTER_THE_API)
            wait_for("the project's DAGs to be parsed", self._dags_parsed, timeout_s, 3)
            self.unpause()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, components: tuple[str, ...]) -> None:
        executable = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
        env = self.env()
        for component in components:
            log = self.paths.logs / f"ui-{component}.log"
            self.processes.append(spawn(component, [executable, component], log, env, self.home))

    def check_alive(self) -> None:
        raise_if_any_stopped(self.processes, "Airflow component(s)")

    def _healthy(self) -> bool:
        self.check_alive()
        return api_is_healthy(self.url)

    def client(self) -> httpx.Client:
        return api_client(self.url, ADMIN_USER, self.password)

    def project_dags(self) -> list[dict[str, object]]:
        dag_files = sorted(path.stem for path in Path(self.env()["AIRFLOW__CORE__DAGS_FOLDER"]).glob("*.py"))
        with self.client() as client:
            reply = client.get("/api/v2/dags", params={"limit": 100, "tags": PROJECT_TAG})
            reply.raise_for_status()
            found = [dag for dag in reply.json()["dags"] if dag["dag_id"] in dag_files]
        return found

    def _dags_parsed(self) -> bool:
        self.check_alive()
        expected = {path.stem for path in Path(self.env()["AIRFLOW__CORE__DAGS_FOLDER"]).glob("*.py")}
        try:
            return {dag["dag_id"] for dag in self.project_dags()} >= expected
        except httpx.HTTPError:
            return False

    def unpause(self) -> list[str]:
        """Unpause every project DAG (one created paused before, or by hand, too)."""
        done = []
        with self.client() as client:
            for dag in self.project_dags():
                if dag["is_paused"]:
                    client.patch(
                        f"/api/v2/dags/{dag['dag_id']}", json={"is_paused": False}
                    ).raise_for_status()
                    done.append(str(dag["dag_id"]))
        return done

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def banner(self) -> str:
        return "\n".join(
            [
                f"Airflow UI:      {self.url}",
                f"login:           {ADMIN_USER} / {self.password}   (kept in {self.home / 'passwords.json'})",
                f"Alignment view:  {self.view_url}   (served at {self.url}{VIEW_MOUNT}/{VIEW_PAGE})",
                f"data dir:        {self.paths.root}   logs: {self.paths.logs}/ui-*.log",
                "the project's DAGs are unpaused; Ctrl-C stops Airflow",
            ]
        )

    def serve_until_stopped(self) -> None:
        """Block until Ctrl-C or SIGTERM (or a component dies), then stop everything."""
        import signal

        def interrupt(*_: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, interrupt)
        try:
            while True:
                self.check_alive()
                time.sleep(2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
