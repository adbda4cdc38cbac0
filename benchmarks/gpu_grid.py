"""How long does VSM 2013's full grid take on a GPU server? (docs/gpu.md)

Plans the full grid (20 countries × 20 prompt languages × 24 items × `--trials`) with the
probe's own planner and, unless `--dry-run`, runs it with the probe itself (`run_probe`: every
stage, Parquet included) against any OpenAI-compatible endpoint: `--lanes` processes at once,
each taking prompt languages one after another, as the gpu workers' probe tasks do. It prints
the wall time, prompts/s and requests/s, the endpoint's prompt tokens, and the ratio to the
target (30 s).

`--dry-run` sends nothing. It prints what the run would ask (prompts, requests with identical
trials asked once or every trial asked, characters sent, and the share of them a prefix cache
cannot reuse in the order the probe sends them) and the expected time derived from the figures
of docs/gpu.md (`--forward-rate`, prompts/s of a forward pass without prefix reuse, and
`--roofline-s`, the naive grid's compute roofline). A unit test runs it.

    python benchmarks/gpu_grid.py --dry-run
    python benchmarks/gpu_grid.py --base-url http://gpu-host:8000/v1 --model qwen2.5-7b-instruct \\
        --api-key-env VLLM_API_KEY --lanes 4 --concurrency 64 [--every-trial] [--logprobs]
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

TARGET_S = 30.0
NAIVE_PROMPTS = 28_800


def fleet(args: argparse.Namespace):  # noqa: ANN201 - a ProbeConfig
    from culturewatch.config.schema import ProbeConfig

    grid: dict[str, object] = {
        "settings": ["full_grid"],
        "countries": args.countries or "all",
        "trials": args.trials,
        "temperature": 0.0,
        "max_tokens": args.max_tokens,
    }
    if args.logprobs:
        grid["answer_distribution"] = "logprobs"
    return ProbeConfig(
        models=[
            {
                "name": args.model,
                "base_url": args.base_url,
                "api_key_env": args.api_key_env,
                "version": args.version,
                "deterministic": not args.every_trial,
            }
        ],
        grid=grid,
        client={
            "concurrency": args.concurrency,
            "batch_size": 512,
            "timeout_s": args.timeout_s,
            "max_retries": 3,
        },
    )


def planned(args: argparse.Namespace) -> tuple[list, int, list[list[str]]]:
    """The specs (one per prompt language), the prompts (rows) they plan, and per spec the
    prompts it sends, in order."""
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.probing.probe_specs import build_specs, cells_for
    from culturewatch.probing.prompts import prompt_text
    from culturewatch.probing.runner import shared_requests, shares_trials

    config = fleet(args)
    instrument = load_instrument(config.grid.instrument)
    specs = build_specs(config, instrument, {args.model: args.version})
    if args.languages:
        specs = [spec for spec in specs if spec.prompt_language in args.languages]
    share = shares_trials(config.models[0], config.grid.temperature)
    sent = []
    rows = 0
    for spec in specs:
        cells = cells_for(
            config.grid, instrument, [(country, spec.prompt_language) for country in spec.countries]
        )
        rows += len(cells)
        sent.append([prompt_text(asked.messages) for asked in shared_requests(instrument, cells, share)])
    return specs, rows, sent


def new_characters(prompts: list[str]) -> int:
    """Characters of `prompts` not in a prefix shared with an earlier one (what a prefix cache
    that keeps everything must still compute; the longest prefix shared with any earlier prompt
    is the one shared with a neighbour in sorted order)."""
    seen: list[str] = []
    new = 0
    for prompt in prompts:
        at = bisect.bisect_left(seen, prompt)
        shared = max((_common(prompt, seen[i]) for i in (at - 1, at) if 0 <= i < len(seen)), default=0)
        new += len(prompt) - shared
        seen.insert(at, prompt)
    return new


def _common(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def dry_run(args: argparse.Namespace) -> dict[str, float]:
    specs, cells, sent = planned(args)
    requests = sum(len(prompts) for prompts in sent)
    characters = sum(len(prompt) for prompts in sent for prompt in prompts)
    fresh = sum(new_characters(prompts) for prompts in sent)
    share_new = fresh / characters
    naive_forward_s = NAIVE_PROMPTS / args.forward_rate
    forward_s = requests / args.forward_rate
    cached_s = forward_s * share_new
    roofline_s = args.roofline_s * requests / NAIVE_PROMPTS * share_new
    print(f"lanes (prompt languages): {len(specs)}; prompts (rows): {cells:,}; requests: {requests:,}")
    print(
        f"characters sent: {characters:,}; not in a prefix shared with an earlier prompt: "
        f"{fresh:,} ({share_new:.1%})"
    )
    print(
        f"expected on one H100, 7-8B model (forward pass {args.forward_rate:g} prompts/s, naive roofline "
        f"{args.roofline_s:g} s for {NAIVE_PROMPTS:,} prompts):"
    )
    print(
        f"  naive grid, every trial, no prefix reuse: {naive_forward_s:6.1f} s "
        f"(roofline {args.roofline_s:.1f} s)"
    )
    print(f"  these {requests:,} requests, no prefix reuse: {forward_s:6.1f} s")
    print(
        f"  these requests, prefix cache ({share_new:.1%} new): {cached_s:6.1f} s "
        f"(roofline {roofline_s:.1f} s)"
    )
    print(f"  target {TARGET_S:g} s: ratio expected / target {cached_s / TARGET_S:.2f}")
    return {"requests": requests, "prompts": cells, "share_new": share_new, "expected_s": cached_s}


def measure(args: argparse.Namespace) -> dict[str, float]:
    from culturewatch.probing.runner import run_probe
    from culturewatch.settings import data_paths

    specs, _, _ = planned(args)
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or Path(scratch)
        started = time.perf_counter()
        with ProcessPoolExecutor(args.lanes, mp_context=get_context("spawn")) as pool:
            # one probe task per prompt language, `--lanes` at once (as the gpu workers run them)
            outcomes = list(pool.map(run_probe, specs, [data_paths(data)] * len(specs)))
        wall = time.perf_counter() - started
        prompt_tokens, completion_tokens = run_tokens(Path(data), specs[0].run_id)
    cells = sum(outcome.cells_answered for outcome in outcomes)
    requests = sum(outcome.requests_sent for outcome in outcomes)
    print(
        f"{cells:,} prompts from {requests:,} requests in {wall:.1f} s "
        f"({args.lanes} lanes × {args.concurrency} in flight)"
    )
    print(f"  {cells / wall:,.0f} prompts/s, {requests / wall:,.0f} requests/s")
    print(f"  endpoint's tokens: {prompt_tokens:,} prompt, {completion_tokens:,} completion")
    print(f"  target {TARGET_S:g} s: ratio {wall / TARGET_S:.2f}")
    return {"wall_s": wall, "prompts": cells, "requests": requests}


def run_tokens(data: Path, run_id: str) -> tuple[int, int]:
    """Prompt and completion tokens the endpoint reported for the run (its `completed` events)."""
    from culturewatch.settings import data_paths
    from culturewatch.storage.parquet import read_table
    from culturewatch.storage.schema import RUN_EVENT_SCHEMA

    events = read_table(data_paths(data).run_folder("runs", run_id), RUN_EVENT_SCHEMA).to_pylist()
    done = [event for event in events if event["event"] == "completed"]
    return sum(e["prompt_tokens"] or 0 for e in done), sum(e["completion_tokens"] or 0 for e in done)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dry-run", action="store_true", help="plan and derive the expected time; send nothing"
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    parser.add_argument("--model", default="qwen2.5-7b-instruct")
    parser.add_argument("--api-key-env", default=None, help="environment variable holding the bearer key")
    parser.add_argument("--version", default=f"gpu-grid-{int(time.time())}", help="a new one asks everything")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument(
        "--every-trial", action="store_true", help="ask every trial (endpoint not deterministic)"
    )
    parser.add_argument("--logprobs", action="store_true", help="score answers from logprobs (one call)")
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--lanes", type=int, default=4, help="probe processes at once")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight per lane")
    parser.add_argument("--timeout-s", type=float, default=120.0)
    parser.add_argument("--countries", nargs="+", help="a subset (default: all 20)")
    parser.add_argument("--languages", nargs="+", help="a subset of prompt languages (default: all 20)")
    parser.add_argument("--data", type=Path, help="data dir (default: a fresh temporary one)")
    parser.add_argument("--forward-rate", type=float, default=240.0, help="prompts/s of a forward pass")
    parser.add_argument("--roofline-s", type=float, default=88.0, help="roofline of the naive grid, s")
    args = parser.parse_args(argv)
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load average {os.getloadavg()}, cores {os.cpu_count()}")
    result = dry_run(args) if args.dry_run else measure(args)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
