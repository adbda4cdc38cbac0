"""benchmarks/cpu_by_process.py: a child's CPU is counted under its kind of process."""

from __future__ import annotations

import sys

from benchmarks.cpu_by_process import kind_of, sample

BURN_2_S = "import time\nend = time.process_time() + 2\nwhile time.process_time() < end: pass"


def test_kinds_come_from_the_command_line() -> None:
    assert kind_of("/x/.venv-model/bin/python -m culturewatch.serving.lean_llama_server") == (
        "model server (llama.cpp)"
    )
    assert kind_of("/x/.venv/bin/python3 /x/.venv/bin/airflow dags test culturewatch_probe") == (
        "airflow dags test"
    )
    assert kind_of("/usr/lib/postgresql/15/bin/postgres -D /tmp/d") == "postgres"
    assert kind_of("/usr/bin/sleep 5") == "other: sleep"


def test_a_child_burning_two_cpu_seconds_is_counted() -> None:
    result = sample([sys.executable, "-c", BURN_2_S])
    assert result["returncode"] == 0
    counted = result["cpu_s_by_kind"]["python (pytest workers, other)"]
    assert 1.8 <= counted <= 2.6, result
    assert result["machine_busy_cpu_s"] >= counted - 0.1
