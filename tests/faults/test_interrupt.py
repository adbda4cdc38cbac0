"""Ctrl-C is clean: `culturewatch probe` and `culturewatch demo`, interrupted midway by SIGINT or
SIGTERM, stop without a traceback, leave no process behind and keep every answer that arrived;
running again asks only what is missing (checked from the servers' request logs)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from culturewatch.cli import INTERRUPTED
from culturewatch.settings import PROJECT_ROOT
from tests.e2e.conftest import TEST_MODEL
from tests.faults.conftest import (
    arrived_prompts,
    assert_nothing_lost_duplicated_or_asked_again,
    run_cli,
    run_events,
    stored_rows,
    write_config,
)
from tests.faults.fault_server import FaultServer, read_log

pytestmark = pytest.mark.long(70)  # seconds, measured on 2 cores: handed out first

ALL_ITEMS = [f"m{number:02d}" for number in range(1, 25)]


def _cli(
    paths, *argv: str, env: dict[str, str] | None = None, sigint: signal.Handlers = signal.SIG_DFL
) -> subprocess.Popen:
    """The CLI in a child process whose SIGINT starts as `sigint` (SIG_IGN: as a non-interactive
    shell starts a background job), whatever the test process has."""
    return subprocess.Popen(
        [sys.executable, "-m", "culturewatch.cli", "--data-dir", str(paths.root), *argv],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, sigint),
    )


def _wait_for(condition, timeout_s: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _assert_clean_exit(process: subprocess.Popen, family: list[psutil.Process]) -> str:
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert err.strip().splitlines()[-1] == INTERRUPTED
    alive = [proc for proc in family if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [proc.cmdline() for proc in alive]
    return err


@pytest.mark.parametrize(
    ("signum", "sigint"),
    [
        (signal.SIGINT, signal.SIG_DFL),
        (signal.SIGTERM, signal.SIG_DFL),
        (signal.SIGTERM, signal.SIG_IGN),  # a background job: Ctrl-C is off, SIGTERM must still stop it
    ],
    ids=["SIGINT", "SIGTERM", "SIGTERM-with-SIGINT-ignored"],
)
def test_interrupting_a_probe_keeps_what_arrived_and_a_rerun_asks_only_the_rest(
    paths, tmp_path, capsys, signum, sigint
):
    with FaultServer("ok", delay_s=0.15) as server:
        config = write_config(tmp_path / "probe.yaml", server.base_url, items=ALL_ITEMS, batch_size=5)
        process = _cli(paths, "probe", "--config", str(config), sigint=sigint)
        _wait_for(lambda: sum(exchange.answered for exchange in server.log) >= 7, 60, "7 answers")
        family = [psutil.Process(process.pid), *_descendants(process.pid)]
        interrupted_at = time.monotonic()
        process.send_signal(signum)
        _assert_clean_exit(process, family)
        arrived = arrived_prompts(paths)
        kept = len(stored_rows(paths))
        # the answers that arrived are on disk, also those of a batch not yet full; one that
        # arrived while the interrupt was handled is in the response cache (the re-run below
        # takes it from there without asking)
        assert kept >= 5
        events = run_events(paths)
        assert [event["event"] for event in events] == ["started", "failed"]
        assert events[-1]["message"] == f"interrupted ({kept}/24 cells on disk)"

        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
    assert len(stored_rows(paths)) == 24
    assert_nothing_lost_duplicated_or_asked_again(server, paths, (interrupted_at, arrived))
    assert [event["event"] for event in run_events(paths)][-1] == "completed"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fake_model_python(folder: Path) -> Path:
    """An interpreter for LocalModelServer that runs tests/faults/fake_llama_server.py instead of
    llama_cpp.server (`<python> -m llama_cpp.server --model ... --port ...`)."""
    script = folder / "fake-model-python"
    server = Path(__file__).with_name("fake_llama_server.py")
    script.write_text(f'#!/bin/sh\nshift 2\nexec "{sys.executable}" "{server}" "$@"\n')
    script.chmod(0o755)
    return script


def test_interrupting_the_demo_stops_airflow_and_the_model_server(paths, tmp_path, capsys):
    port = _free_port()
    log = tmp_path / "model-server.jsonl"
    config = write_config(
        tmp_path / "demo.yaml", f"http://127.0.0.1:{port}/v1", items=ALL_ITEMS, batch_size=4
    )
    config.write_text(config.read_text().replace("fake-model", TEST_MODEL))
    env = {
        "CULTUREWATCH_MODEL_PYTHON": str(_fake_model_python(tmp_path)),
        "CW_FAULT_LOG": str(log),
        "CW_FAULT_DELAY_S": "0.3",
        "CULTUREWATCH_CONFIG": str(config),
    }
    process = _cli(paths, "demo", "--config", str(config), "--port", str(port), env=env)
    _wait_for(lambda: sum(exchange.answered for exchange in read_log(log)) >= 6, 240, "6 answers in the demo")
    family = [psutil.Process(process.pid), *_descendants(process.pid)]
    assert any("dags" in proc.cmdline() for proc in family)  # airflow dags test ...
    assert any("fake_llama_server.py" in " ".join(proc.cmdline()) for proc in family)  # the model server
    interrupted_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    _assert_clean_exit(process, family)
    arrived = arrived_prompts(paths)
    kept = len(stored_rows(paths))
    assert kept >= 5  # more than the one full batch of 4: the partial batch was written too
    assert [event["event"] for event in run_events(paths)] == ["started", "failed"]

    # the re-run (its probe; the demo would then also build the marts) asks only what is missing
    with FaultServer("ok", models=(TEST_MODEL,), port=port) as server:
        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
    assert len(stored_rows(paths)) == 24
    everything = [*read_log(log), *server.log]
    assert_nothing_lost_duplicated_or_asked_again(everything, paths, (interrupted_at, arrived))


class TaskTimeout(BaseException):
    """Stands for Airflow's AirflowTaskTimeout: raised from SIGALRM when execution_timeout fires."""


def test_a_probe_ended_by_its_execution_timeout_is_marked_failed_not_running(paths, tmp_path, capsys):
    from culturewatch.probing.orchestrate import plan_probe
    from culturewatch.probing.runner import run_probe

    expired_at: list[float] = []

    def expire(*_: object) -> None:
        expired_at.append(time.monotonic())
        raise TaskTimeout("Timeout, PID: 1")

    with FaultServer("ok", delay_s=0.1) as server:
        config = write_config(tmp_path / "probe.yaml", server.base_url, items=ALL_ITEMS, batch_size=5)
        [spec] = plan_probe(config)
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, 1.0)  # what Airflow's execution_timeout does
        try:
            with pytest.raises(TaskTimeout):
                run_probe(spec, paths)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        kept, arrived = len(stored_rows(paths)), arrived_prompts(paths)
        events = run_events(paths)
        assert [event["event"] for event in events] == ["started", "failed"]
        assert events[-1]["message"] == f"TaskTimeout: Timeout, PID: 1 ({kept}/24 cells on disk)"
        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")  # the retry resumes
    assert len(stored_rows(paths)) == 24
    assert_nothing_lost_duplicated_or_asked_again(server, paths, (expired_at[0], arrived))


def test_ctrl_c_while_the_model_server_loads_stops_it(tmp_path):
    from culturewatch.serving.llama_server import LocalModelServer

    never_ready = tmp_path / "slow-model-python"
    never_ready.write_text("#!/bin/sh\nexec sleep 60\n")  # a server still loading its weights
    never_ready.chmod(0o755)
    server = LocalModelServer(TEST_MODEL, tmp_path / "model.gguf", port=_free_port())

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CULTUREWATCH_MODEL_PYTHON", str(never_ready))
            with pytest.raises(KeyboardInterrupt), server:
                pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert server.process is not None and server.process.poll() is not None  # stopped, not left loading
