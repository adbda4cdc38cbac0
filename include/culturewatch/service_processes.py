"""Long-running service processes (Airflow's components, databases, object stores) started and
stopped cleanly, for `culturewatch ui` and for the services tests and benchmarks start natively.

Every process is started in its own session (setsid) and stopped by process group: the Airflow CLI
leaves children behind on a plain TERM of the parent.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from culturewatch.errors import CulturewatchError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for(what: str, check: Callable[[], bool], timeout_s: float, interval_s: float = 1.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval_s)
    raise TimeoutError(f"{what} not ready after {timeout_s:.0f} s")


@dataclass
class Process:
    """One service process, the leader of its own process group."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, grace_s: float = 20.0, first: signal.Signals = signal.SIGTERM) -> None:
        """Signal the whole group (TERM unless `first` says otherwise), KILL it after `grace_s`
        (also reaps orphans left by the leader)."""
        stop_together([self], grace_s, first)

    def group_alive(self) -> bool:
        """Whether anything of the process group is left (the leader reaped on the way)."""
        self.popen.poll()
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return False
        return True


def stop_together(
    processes: Iterable[Process], grace_s: float = 20.0, first: signal.Signals = signal.SIGTERM
) -> None:
    """`Process.stop` for several at once: each group signalled (TERM unless `first` says
    otherwise), then every group still there after `grace_s` killed. Services that each take a
    while to shut down stop in the time of the slowest, not in the sum of their times."""
    signalled = []
    for process in processes:
        try:
            os.killpg(process.popen.pid, first)
        except ProcessLookupError:
            process.popen.poll()
            continue
        signalled.append(process)
    running = signalled
    deadline = time.monotonic() + grace_s
    while running and time.monotonic() < deadline:
        time.sleep(0.2)
        running = [process for process in running if process.group_alive()]
    for process in running:
        try:
            os.killpg(process.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for process in signalled:
        process.popen.wait(timeout=10)


def raise_if_any_stopped(processes: Iterable[Process], what: str) -> None:
    """A CulturewatchError naming each of `processes` that has exited, with its exit code and the
    tail of its log."""
    dead = [process for process in processes if not process.alive()]
    if dead:
        details = "\n".join(f"--- {p.name} exited {p.popen.returncode}:\n{p.tail()}" for p in dead)
        raise CulturewatchError(f"{what} stopped:\n{details}")


def spawn(
    name: str, argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Process:
    """Start `argv` as the leader of a new session, its output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        popen = subprocess.Popen(
            argv,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env if env is not None else {**os.environ},
            cwd=cwd,
            start_new_session=True,
        )
    return Process(name, popen, log)
