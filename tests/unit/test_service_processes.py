"""Stopping service processes: whole process groups, several at once in the time of the slowest."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from culturewatch.service_processes import spawn, stop_together

# A service that takes 1.5 s to shut down on TERM, with a child in its group.
SLOW_TO_STOP = "trap 'sleep 1.5; exit 0' TERM; sleep 60 & wait; sleep 60"
# One that ignores TERM: only KILL ends it.
DEAF = "trap '' TERM; sleep 60 & wait; sleep 60"


def test_services_stop_together_in_the_time_of_the_slowest(tmp_path: Path) -> None:
    services = [spawn(f"s{n}", ["bash", "-c", SLOW_TO_STOP], tmp_path / f"s{n}.log") for n in range(3)]
    time.sleep(0.5)  # the traps are set
    started = time.monotonic()
    stop_together(services, grace_s=10)
    took = time.monotonic() - started
    assert 1.4 <= took < 4.0, took  # one at a time: at least 4.5 s
    assert all(not service.group_alive() and service.popen.returncode == 0 for service in services)


def test_a_group_deaf_to_the_signal_is_killed_after_the_grace(tmp_path: Path) -> None:
    deaf, slow = (
        spawn(name, ["bash", "-c", body], tmp_path / f"{name}.log")
        for name, body in (("deaf", DEAF), ("slow", SLOW_TO_STOP))
    )
    time.sleep(0.5)
    started = time.monotonic()
    stop_together([deaf, slow], grace_s=2)
    assert 2 <= time.monotonic() - started < 5
    assert deaf.popen.returncode == -signal.SIGKILL and slow.popen.returncode == 0
    assert not slow.group_alive()
    gone = time.monotonic() + 5  # the killed group's orphans: reaped by init, not by this process
    while deaf.group_alive() and time.monotonic() < gone:
        time.sleep(0.1)
    assert not deaf.group_alive()
