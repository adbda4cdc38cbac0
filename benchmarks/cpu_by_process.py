"""Where a command's CPU goes, by kind of process: run COMMAND, sample every process's CPU time
(/proc/<pid>/stat) once a second, and add each process's CPU to its kind (the model server, each
Airflow service or `airflow dags test`, Chromium, Postgres, the pytest workers, ...).

    python benchmarks/cpu_by_process.py [--json OUT] -- COMMAND [ARGS...]

Prints the command's wall time, the machine's busy CPU-seconds over it (/proc/stat) and a table of
CPU-seconds per kind. A process that lives less than a second between two samples is missed: the
difference between the machine's total and the table's is what such processes (and the rest of
the machine) used. Used for issue 16 item 5 (docs/benchmarks.md, "Where the test command's time
goes").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")

# The first pattern found in a process's command line names its kind.
KINDS = (
    ("llama_cpp", "model server (llama.cpp)"),
    (".venv-model", "model server (llama.cpp)"),
    ("chrom", "chromium"),
    ("headless_shell", "chromium"),
    ("postgres", "postgres"),
    ("redis-server", "redis"),
    ("weed", "seaweedfs"),
    ("mlflow", "mlflow"),
    ("airflow dags test", "airflow dags test"),
    ("airflow db migrate", "airflow db migrate"),
    ("airflow api-server", "airflow api-server"),
    ("airflow api_server", "airflow api-server"),
    ("airflow scheduler", "airflow scheduler"),
    ("airflow dag-processor", "airflow dag-processor"),
    ("airflow triggerer", "airflow triggerer"),
    ("airflow celery", "airflow celery worker"),
    ("airflow", "airflow (other)"),
    ("pytest", "pytest"),
    # pytest-xdist starts its workers as `python -c ...`: they are most of this line in a test run
    ("python", "python (pytest workers, other)"),
)


def kind_of(command_line: str) -> str:
    for pattern, kind in KINDS:
        if pattern in command_line:
            return kind
    return "other: " + Path(command_line.split(" ", 1)[0] or "?").name


def machine_busy_ticks() -> int:
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    return sum(values) - values[3] - values[4]  # less idle and iowait


def process_ticks(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def command_line(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def sample(command: list[str]) -> dict[str, object]:
    preexisting = {pid for pid in os.listdir("/proc") if pid.isdigit()}
    seen: dict[str, tuple[str, int]] = {}  # pid -> (kind, ticks counted so far)
    per_kind: Counter[str] = Counter()
    busy_before, started = machine_busy_ticks(), time.monotonic()
    child = subprocess.Popen(command)
    while True:
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or pid in preexisting:
                continue
            ticks = process_ticks(pid)
            if ticks is None:
                continue
            kind, counted = seen.get(pid) or (kind_of(command_line(pid)), 0)
            per_kind[kind] += ticks - counted
            seen[pid] = (kind, ticks)
        if child.poll() is not None:
            break
        time.sleep(1)
    return {
        "command": command,
        "returncode": child.returncode,
        "wall_s": round(time.monotonic() - started, 1),
        "machine_busy_cpu_s": round((machine_busy_ticks() - busy_before) / TICKS, 1),
        "cpu_s_by_kind": {kind: round(ticks / TICKS, 1) for kind, ticks in per_kind.most_common()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (after --)")
    result = sample(command)
    busy, wall = float(result["machine_busy_cpu_s"]) or 1.0, float(result["wall_s"]) or 1.0
    print(f"\nwall {wall} s, machine busy {busy} CPU-s ({busy / wall:.2f} cores)")
    for kind, seconds in dict(result["cpu_s_by_kind"]).items():
        print(f"{seconds:9.1f} s {seconds / busy:6.1%}  {kind}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return int(result["returncode"])


if __name__ == "__main__":
    sys.exit(main())
