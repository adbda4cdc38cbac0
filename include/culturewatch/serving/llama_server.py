"""Start, health-check and stop the local llama.cpp OpenAI-compatible server (own virtualenv)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from culturewatch.errors import CulturewatchError
from culturewatch.serving.engine_work import EngineWork, engine_work
from culturewatch.serving.lean_llama_server import LEAN_SERVER_OPTIONS
from culturewatch.serving.model_files import model_file
from culturewatch.settings import PROJECT_ROOT

log = logging.getLogger(__name__)
MODEL_PYTHON_ENV = "CULTUREWATCH_MODEL_PYTHON"
# llama.cpp threads of a server: $CULTUREWATCH_MODEL_THREADS sizes generation and prompt evaluation
# alike (1 where the server shares its cores: threads spin at a barrier, and 2 threads on busy
# cores ran 10x slower). Nobody sized it: 2 for generation, which fills a 2-core machine it has to
# itself, and every core for prompt evaluation (llama-cpp-python's own default).
MODEL_THREADS_ENV = "CULTUREWATCH_MODEL_THREADS"
LEAN_SERVER_SCRIPT = Path(__file__).with_name("lean_llama_server.py")


def _sized_threads() -> int | None:
    """$CULTUREWATCH_MODEL_THREADS, checked; None when unset."""
    chosen = os.environ.get(MODEL_THREADS_ENV)
    if chosen is None:
        return None
    if not chosen.isdigit() or not 1 <= int(chosen) <= 256:
        raise CulturewatchError(f"{MODEL_THREADS_ENV}={chosen!r}: expected a whole number of threads, 1-256")
    return int(chosen)


def server_threads(chosen: int | None = None) -> tuple[int, int]:
    """(generation, prompt evaluation) threads of a server: `chosen` for both, else
    $CULTUREWATCH_MODEL_THREADS for both, else 2 and every core."""
    sized = chosen or _sized_threads()
    return (sized, sized) if sized else (2, os.cpu_count() or 1)


def model_server_python() -> Path:
    """The interpreter of the model server's own venv (its fastapi conflicts with Airflow's)."""
    chosen = os.environ.get(MODEL_PYTHON_ENV)
    python = Path(chosen) if chosen else PROJECT_ROOT / ".venv-model" / "bin" / "python"
    if not python.exists():
        raise CulturewatchError(
            f"model server interpreter {python} not found: run `make setup` (or set {MODEL_PYTHON_ENV})"
        )
    return python


@dataclass
class LocalModelServer:
    """llama-cpp-python's server for one GGUF file on 127.0.0.1; a context manager. `lora_path`
    applies a GGUF LoRA adapter (llama.cpp's `--lora_path`) on top of the model.

    `engine` "lean" (the default) runs lean_llama_server.py: logits only for the position that is
    sampled, logprobs read while generating and only when a request asks for them. "stock" runs
    `python -m llama_cpp.server` with its defaults (logits of every token kept), for comparison
    (benchmarks/embedded_server_work.py)."""

    name: str
    model_path: Path
    port: int = 8091
    log_path: Path | None = None
    n_threads: int | None = None  # generation and prompt evaluation alike; see `server_threads`
    n_ctx: int = 2048
    startup_timeout_s: float = 180.0
    lora_path: Path | None = None
    engine: Literal["lean", "stock"] = "lean"
    process: subprocess.Popen[bytes] | None = None
    threads: tuple[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.threads = server_threads(self.n_threads)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        entry_point = [str(LEAN_SERVER_SCRIPT)] if self.engine == "lean" else ["-m", "llama_cpp.server"]
        return [
            str(model_server_python()),
            *entry_point,
            "--model",
            str(self.model_path),
            "--model_alias",
            self.name,
            "--chat_format",
            model_file(self.name).chat_format,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            # both given: --n_threads alone leaves prompt evaluation on every core
            "--n_threads",
            str(self.threads[0]),
            "--n_threads_batch",
            str(self.threads[1]),
            "--n_ctx",
            str(self.n_ctx),
            *(["--lora_path", str(self.lora_path)] if self.lora_path is not None else []),
            *(LEAN_SERVER_OPTIONS if self.engine == "lean" else []),
        ]

    def healthy(self) -> bool:
        try:
            reply = httpx.get(f"{self.base_url}/models", timeout=5)
        except httpx.HTTPError:
            return False
        return reply.status_code == 200 and any(
            entry.get("id") == self.name for entry in reply.json().get("data", [])
        )

    def start(self) -> LocalModelServer:
        if self.healthy():
            raise CulturewatchError(f"a server already answers on port {self.port}")
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = (self.log_path or Path(os.devnull)).open("ab")
        self.process = subprocess.Popen(
            self.command(), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self._wait_until_healthy()
        except BaseException:  # also Ctrl-C while it loads: `with server` would not stop it
            self.stop()
            raise
        return self

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CulturewatchError(
                    f"model server exited with code {self.process.returncode} during start-up; "
                    f"see {self.log_path}:\n{self._log_tail()}"
                )
            if self.healthy():
                log.info(
                    "model server %s ready at %s (pid %d)",
                    self.name,
                    self.base_url,
                    self.process.pid,
                )
                return
            time.sleep(0.5)
        raise CulturewatchError(f"model server not healthy after {self.startup_timeout_s:.0f}s")

    def stop(self) -> None:
        """Stop the server's whole process group: TERM, then KILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """Kill abruptly (what a crash looks like to the probe)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(os.getpgid(self.process.pid), signal.SIGKILL)
            self.process.wait(timeout=10)

    def _log_tail(self, lines: int = 20) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def chat_requests_served(self) -> int:
        """Chat completion requests the server answered, counted from its access log."""
        if not self.log_path or not self.log_path.exists():
            raise CulturewatchError("request counting needs a log_path")
        return sum(
            '"POST /v1/chat/completions HTTP/1.1"' in line
            for line in self.log_path.read_text(errors="replace").splitlines()
        )

    def engine_work(self, skip_requests: int = 0) -> EngineWork:
        """What llama.cpp itself spent on the completions in the log, less the first `skip_requests`."""
        if not self.log_path or not self.log_path.exists():
            raise CulturewatchError("reading the engine's work needs a log_path")
        return engine_work(self.log_path.read_text(errors="replace"), skip_requests)

    def write_pidfile(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        assert self.process is not None
        path.write_text(json.dumps({"pid": self.process.pid, "port": self.port, "name": self.name}))

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def stop_from_pidfile(path: Path) -> bool:
    """Stop a server started in the background by `culturewatch serve-model --background`."""
    if not path.exists():
        return False
    pid = json.loads(path.read_text())["pid"]
    try:
        os.killpg(os.getpgid(pid), signal.SIGTERM)
    except ProcessLookupError:
        pass
    path.unlink()
    return True
