"""Is the probe the bottleneck? Probe prompts/s vs the server's capacity, measured side by side.

Starts the local model server, then in one run: a minimal direct loop of the same requests
(the openai client, no cache, no parsing, no Parquet) at concurrency 1, 2, 4, 8, and the
probe itself (`run_probe`, cold cache) on the same cells. Prints each rate and the ratio
probe / best direct rate (target ≥ 0.95). Usage:

    python benchmarks/probe_throughput.py [--model qwen2.5-coder-0.5b-instruct] [--countries JP EG]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import openai

from culturewatch.config.schema import ProbeConfig
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import build_specs, cells_for
from culturewatch.probing.prompts import render_messages
from culturewatch.probing.runner import run_probe
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.serving.model_files import assemble
from culturewatch.settings import MODELS_DIR_ENV, PROJECT_ROOT, data_paths


async def direct_loop(
    base_url: str, model: str, requests: list[list[dict]], concurrency: int, max_tokens: int
) -> float:
    """Prompts/s of a bare loop: bounded concurrency, nothing else."""
    client = openai.AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0, timeout=300)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(messages: list[dict]) -> None:
        async with semaphore:
            await client.chat.completions.create(
                model=model, messages=messages, temperature=0.0, max_tokens=max_tokens, seed=0
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(messages) for messages in requests))
    elapsed = time.perf_counter() - started
    await client.close()
    return len(requests) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    parser.add_argument("--countries", nargs="+", default=["JP"])
    parser.add_argument("--port", type=int, default=8095)
    parser.add_argument("--probe-concurrency", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=8)
    args = parser.parse_args()

    models_dir = Path(os.environ.get(MODELS_DIR_ENV, PROJECT_ROOT / "models"))
    model_path = assemble(args.model, models_dir)
    config = ProbeConfig(
        models=[{"name": args.model, "base_url": f"http://127.0.0.1:{args.port}/v1", "version": "bench"}],
        grid={"settings": ["english"], "countries": args.countries, "max_tokens": args.max_tokens},
        client={"concurrency": args.probe_concurrency, "batch_size": 24},
    )
    instrument = load_instrument("vsm2013")
    [spec] = build_specs(config, instrument, {args.model: "bench"})
    cells = cells_for(config.grid, instrument, [(c, "en") for c in sorted(args.countries)])
    requests = [render_messages(instrument, cell) for cell in cells]

    with (
        tempfile.TemporaryDirectory() as scratch,
        LocalModelServer(
            args.model, model_path, port=args.port, log_path=Path(scratch) / "server.log"
        ) as server,
    ):
        # warm-up: load weights into the page cache, first-token costs
        asyncio.run(direct_loop(server.base_url, args.model, requests[:2], 1, args.max_tokens))
        rates: dict[str, float] = {}
        for concurrency in (1, 2):
            rates[f"direct c={concurrency}"] = asyncio.run(
                direct_loop(server.base_url, args.model, requests, concurrency, args.max_tokens)
            )
        paths = data_paths(Path(scratch) / "data")
        started = time.perf_counter()
        outcome = run_probe(spec, paths)
        rates["probe"] = len(cells) / (time.perf_counter() - started)
        assert outcome.cache_hits == 0, "the probe must start with a cold cache"
        assert outcome.requests_sent == len(cells)
        for concurrency in (4, 8):
            rates[f"direct c={concurrency}"] = asyncio.run(
                direct_loop(server.base_url, args.model, requests, concurrency, args.max_tokens)
            )

    capacity_key = max((k for k in rates if k.startswith("direct")), key=rates.__getitem__)
    print(f"model {args.model}, {len(cells)} prompts per measurement, max_tokens {args.max_tokens}")
    for key, rate in rates.items():
        print(f"  {key:<14} {rate:6.3f} prompts/s")
    ratio = rates["probe"] / rates[capacity_key]
    print(f"probe / capacity ({capacity_key}) = {ratio:.3f}  (target >= 0.95)")


if __name__ == "__main__":
    main()
