"""Can the probe client feed a GPU? Prompts/s of `run_probe` against a zero-latency server.

Every stage of the probe runs as in production (planning, rendering, response cache, the openai
client, parsing, language identification, Parquet batches, run events, the lane's claim); only
the model is replaced by `zero_latency_server.py`, in its own process(es), which answers at once.
One run prints:

1. **CPU per prompt by stage** (one probe process, `--lanes` lanes of the full grid, sampled
   about every 1 ms by a profiler thread: the CPU time each thread used since the previous
   sample, read from the thread's own CPU clock, goes to the innermost stage on its stack; what
   no stage claims is the event loop, task switching and thread hand-offs). CPU time, not wall
   time: the breakdown holds on a loaded machine, where the rates below do not.
2. **Prompts/s for 1, 2 and 4 processes**, each running `--lanes` lanes (prompt languages) of the
   same full-grid run one after another, as a GPU worker's probe tasks do, and the ratio of the
   per-process rate to the target of 1,000 prompts/s. Each process loads lingua's models before
   the clock starts (a fixed cost per process, printed on its own).
3. The same with `deterministic: true` (identical trials asked once: a third of the requests).

On a machine whose cores are busy with other work the rates measure the share of the CPU the
processes got; the CPU per prompt (client and server) is what to compare: one process can
sustain at most 1 / (client CPU per prompt) prompts/s on a core of its own.

Usage (2–4 minutes on 2 cores; keep the machine otherwise quiet):

    python benchmarks/probe_client_throughput.py [--processes 1 2 4] [--lanes 2] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import zero_latency_server  # noqa: E402

LANGUAGES = ["de", "fr", "ja", "es", "pt", "ru", "zh", "ar"]
TARGET = 1000.0

# stage -> its frames: a path fragment, or `fragment:function` for one function there
STAGE_FRAMES: dict[str, tuple[str, ...]] = {
    "planning": (
        "probing/runner.py:pending_cells", "probing/runner.py:shared_requests",
        "probing/probe_specs.py", "kinds/grid.py",
    ),
    "rendering": ("probing/rendering.py", "probing/prompts.py", "probing/client.py:request_for"),
    "response cache (SQLite)": ("probing/cache.py",),
    "language identification": ("instruments/language_id.py",),
    "parsing": ("probing/interpret.py", "kinds/reading.py:guarded_reading"),
    "rows": ("probing/runner.py:_row",),
    "Parquet writes and run events": ("storage/parquet.py", "probing/runner.py:_record_event"),
    "claim (heartbeat)": ("storage/claims.py",),
    "HTTP: openai client, aiohttp": (
        "probing/http_client.py", "probing/client.py:_create",
        "/openai/", "/httpx2/", "/httpx/", "/aiohttp/", "/yarl/", "/multidict/",
    ),
}  # fmt: skip
# (path fragment, function or None for any, stage); the innermost frame that matches decides
STAGE_ENTRIES: list[tuple[str, str | None, str]] = [
    (fragment, function or None, stage)
    for stage, frames in STAGE_FRAMES.items()
    for fragment, _, function in (frame.partition(":") for frame in frames)
]
# innermost frames of a thread that waits: a lock or event, an idle worker thread, the event loop
# in epoll (the CPU a thread used before it was seen waiting is counted as WAITING)
IDLE = {("threading.py", "wait"), ("thread.py", "_worker"), ("selectors.py", "select")}
REST = "event loop, tasks, thread hand-offs (the rest)"
WAITING = "event loop, seen in epoll (or another thread seen waiting)"
# asyncio.to_thread's threads only read replies (parser, language identification): their work is
# shorter than a sample interval, so most of it is seen after it ended
WORKERS = "parsing, language id: worker threads seen idle"


def stage_of(frame) -> str | None:  # noqa: ANN001 - a frame
    """The innermost stage on a thread's stack; None when the thread waits."""
    if (os.path.basename(frame.f_code.co_filename), frame.f_code.co_name) in IDLE:
        return None
    while frame is not None:
        path, function = frame.f_code.co_filename.replace(os.sep, "/"), frame.f_code.co_name
        for fragment, name, stage in STAGE_ENTRIES:
            if fragment in path and (name is None or name == function):
                return stage
        frame = frame.f_back
    return REST


class StageSampler:
    """Samples every other thread's stack about every `interval_s` and gives the CPU time the
    thread used since the previous sample (its own CPU clock, `pthread_getcpuclockid`) to the
    stage it is in: `seconds[stage]` is CPU seconds, true also on a loaded machine (other
    processes' time is in no thread's clock)."""

    def __init__(self, interval_s: float = 0.001) -> None:
        self.interval_s = interval_s
        self.seconds: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._clocks: dict[int, tuple[int, float]] = {}

    def _cpu(self, ident: int) -> float | None:
        try:
            clock = self._clocks[ident][0] if ident in self._clocks else time.pthread_getcpuclockid(ident)
            return time.clock_gettime(clock)
        except (OSError, ProcessLookupError):
            return None

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.is_set():
            time.sleep(self.interval_s)
            names = {thread.ident: thread.name for thread in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                now = self._cpu(ident)
                if now is None:
                    continue
                clock, before = self._clocks.get(ident, (time.pthread_getcpuclockid(ident), now))
                self._clocks[ident] = (clock, now)
                stage = stage_of(frame)
                if stage is None:  # its CPU since the last sample went to what it did before waiting
                    stage = WORKERS if names.get(ident, "").startswith("asyncio") else WAITING
                self.seconds[stage] += now - before
            self.samples += 1

    def __enter__(self) -> StageSampler:
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(self.interval_s)  # the sampler gets the GIL about every interval
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)


def _spec(base_url: str, language: str, concurrency: int, batch_size: int, deterministic: bool):
    from culturewatch.config.schema import ProbeConfig
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.probing.probe_specs import build_specs

    model = zero_latency_server.MODEL
    config = ProbeConfig(
        models=[{"name": model, "base_url": base_url, "version": "bench", "deterministic": deterministic}],
        grid={"settings": ["full_grid"], "trials": 3},
        client={"concurrency": concurrency, "batch_size": batch_size},
    )
    specs = build_specs(config, load_instrument("vsm2013"), {model: "bench"})
    return next(spec for spec in specs if spec.prompt_language == language)


def child(args: argparse.Namespace) -> None:
    """One probe process: load lingua, wait for the start signal, run its lanes, print a JSON line."""
    from culturewatch.instruments.language_id import detect
    from culturewatch.probing.runner import run_probe
    from culturewatch.settings import data_paths

    started = time.perf_counter()
    detect("Ich würde die vier wählen, von geringer Bedeutung.")  # lingua loads its models
    warm_s = time.perf_counter() - started
    paths = data_paths(args.data)
    specs = [
        _spec(args.base_url, language, args.concurrency, args.batch_size, args.deterministic)
        for language in args.languages
    ]
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal
    cpu0, t0 = time.process_time(), time.time()
    cells = requests = 0
    sampler = StageSampler() if args.profile else None
    if sampler:
        sampler.__enter__()
    for spec in specs:
        outcome = run_probe(spec, paths)
        cells += outcome.cells_answered
        requests += outcome.requests_sent
    if sampler:
        sampler.__exit__()
    result = {
        "start": t0,
        "end": time.time(),
        "cpu_s": time.process_time() - cpu0,
        "cells": cells,
        "requests": requests,
        "lingua_load_s": warm_s,
        "stages": dict(sampler.seconds) if sampler else None,
        "samples": sampler.samples if sampler else 0,
    }
    print(json.dumps(result), flush=True)


def run_processes(
    base_url: str, data: Path, lanes: list[list[str]], args: argparse.Namespace, **flags: bool
) -> list[dict]:
    """Start one child per lane list, start them together, collect their results."""
    env = {**os.environ, "CULTUREWATCH_STATE_DB": f"sqlite:///{data / 'claims.sqlite'}"}
    children = []
    for languages in lanes:
        argv = [
            sys.executable,
            __file__,
            "--child",
            "--base-url",
            base_url,
            "--data",
            str(data),
            "--concurrency",
            str(args.concurrency),
            "--batch-size",
            str(args.batch_size),
            "--languages",
            *languages,
        ]
        argv += [f"--{name}" for name, on in flags.items() if on]
        children.append(
            subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        )
    for process in children:
        assert process.stdout.readline().strip() == "ready"
    for process in children:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process in children:
        out, _ = process.communicate(timeout=600)
        assert process.returncode == 0, out
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _summary(results: list[dict]) -> tuple[float, float, int, int]:
    """(prompts/s of all processes together, CPU ms per prompt, prompts, requests)."""
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    cells = sum(r["cells"] for r in results)
    cpu = sum(r["cpu_s"] for r in results)
    return cells / wall, cpu / cells * 1000, cells, sum(r["requests"] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--lanes", type=int, default=2, help="lanes (prompt languages) per process")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--deterministic", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--languages", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    print(f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}")
    with (
        zero_latency_server.started(args.port, workers=2) as base_url,
        tempfile.TemporaryDirectory() as scratch,
    ):

        def fresh(name: str) -> Path:
            folder = Path(scratch) / name
            folder.mkdir()
            return folder

        [profiled] = run_processes(base_url, fresh("profile"), [LANGUAGES[: args.lanes]], args, profile=True)
        print(
            f"\n1. CPU per prompt by stage: one process, {profiled['cells']} prompts, concurrency "
            f"{args.concurrency}, batch_size {args.batch_size}, {profiled['samples']} samples "
            f"(the profiler itself adds its own overhead: unprofiled rates below)"
        )
        cpu_us = profiled["cpu_s"] / profiled["cells"] * 1e6
        stages = {stage: s / profiled["cells"] * 1e6 for stage, s in profiled["stages"].items()}
        stages["the profiler's own thread"] = cpu_us - sum(stages.values())
        for stage, us in sorted(stages.items(), key=lambda item: -item[1]):
            print(f"   {stage:<58} {us:7.0f} µs  {us / cpu_us:6.1%}")
        print(f"   {'total (process CPU / prompts)':<58} {cpu_us:7.0f} µs")

        print("\n2. Throughput, every trial asked (deterministic: false)")
        print(
            f"   lingua's models load once per process: {profiled['lingua_load_s']:.1f} s (not timed below)"
        )
        for count in args.processes:
            lanes = [
                [LANGUAGES[(i * args.lanes + j) % len(LANGUAGES)] for j in range(args.lanes)]
                for i in range(count)
            ]
            before = _server_cpu(args.port)
            results = run_processes(base_url, fresh(f"p{count}"), lanes, args)
            rate, cpu_ms, cells, requests = _summary(results)
            server_us = (_server_cpu(args.port) - before) / requests * 1e6
            per_process = rate / count
            print(
                f"   {count} process(es): {rate:7.0f} prompts/s ({per_process:6.0f} per process, "
                f"ratio to 1,000: {per_process / TARGET:.2f}); {cells} prompts, {requests} requests, "
                f"client CPU {cpu_ms:.2f} ms/prompt (one free core: at most {1000 / cpu_ms:,.0f} prompts/s "
                f"per process), server CPU {server_us:.0f} µs/request"
            )

        print("\n3. Identical trials asked once (deterministic: true), one process")
        [shared] = run_processes(
            base_url, fresh("shared"), [LANGUAGES[: args.lanes]], args, deterministic=True
        )
        rate, cpu_ms, cells, requests = _summary([shared])
        print(
            f"   {rate:7.0f} prompts/s ({cells} prompts from {requests} requests), "
            f"client CPU {cpu_ms:.2f} ms/prompt"
        )
    print(f"\nload average after: {os.getloadavg()}")


def _server_cpu(port: int) -> float:
    """CPU seconds of the zero-latency server processes so far."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            any(part.endswith(b"zero_latency_server.py") for part in cmdline)
            and str(port).encode() in cmdline
        ):
            total += zero_latency_server.cpu_seconds(int(pid))
    return total


if __name__ == "__main__":
    main()
