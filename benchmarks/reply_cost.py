"""CPU per cell of a huge reply: 10 MB with and without whitespace, next to a one-character reply.

Runs `run_probe` (3 VSM cells, concurrency 1) against tests/faults/fault_server.py in a child
process (so only the probe's CPU is counted here), once per reply kind, and then again after
deleting the written rows (the resume of cells answered but never written: every reply comes
from the cache). Prints per cell: the probe's CPU seconds, the CPU of only downloading and
decoding the same reply (httpx + json.loads: what any client pays), and the difference; and,
side by side on one 64 KiB unspaced reply, language identification of the whole text (what the
probe did before issue 15) and of the 4,096-character sample it uses now. Usage:

    python benchmarks/reply_cost.py [--megabytes 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from culturewatch.config.schema import ProbeConfig
from culturewatch.instruments.language_id import detect, reply_language
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import build_specs
from culturewatch.probing.runner import run_probe
from culturewatch.settings import PROJECT_ROOT, data_paths

ITEMS = ["m01", "m02", "m03"]
SERVER = """
import sys, time
sys.path.insert(0, {root!r})
from tests.faults.fault_server import FaultServer
with FaultServer({mode!r}, huge_bytes={size}) as server:
    print(server.port, flush=True)
    while True:
        time.sleep(1)
"""


def serve(mode: str, size: int) -> tuple[subprocess.Popen, str]:
    code = SERVER.format(root=str(PROJECT_ROOT), mode=mode, size=size)
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline())  # type: ignore[union-attr]
    return process, f"http://127.0.0.1:{port}/v1"


def probe_cpu(base_url: str, root: Path) -> float:
    config = ProbeConfig(
        models=[{"name": "bench", "base_url": base_url, "version": "bench"}],
        grid={"settings": ["english"], "countries": ["US"], "items": ITEMS},
        client={"concurrency": 1, "max_retries": 0, "timeout_s": 60},
    )
    [spec] = build_specs(config, load_instrument("vsm2013"), {"bench": "bench"})
    started = time.process_time()
    run_probe(spec, data_paths(root))
    return (time.process_time() - started) / len(ITEMS)


def download_cpu(base_url: str) -> float:
    body = {"model": "bench", "messages": [{"role": "user", "content": "x"}], "seed": 99}
    started = time.process_time()
    for _ in ITEMS:
        reply = httpx.post(f"{base_url}/chat/completions", json=body, timeout=60)
        json.loads(reply.content)
    return (time.process_time() - started) / len(ITEMS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=10)
    args = parser.parse_args()
    size = int(args.megabytes * 1024 * 1024)
    load_instrument("vsm2013")
    reply_language("warm up the language detector with a sentence")
    header = ("reply", "probe CPU/cell", "download/cell", "difference", "resume CPU/cell")
    print(f"{header[0]:<24} {header[1]:>15} {header[2]:>14} {header[3]:>11} {header[4]:>16}")
    for mode, label in (
        ("ok", "1 character"),
        ("huge", f"{args.megabytes:g} MB spaced"),
        ("huge_unspaced", f"{args.megabytes:g} MB unspaced"),
    ):
        process, base_url = serve(mode, size)
        try:
            with tempfile.TemporaryDirectory() as scratch:
                root = Path(scratch)
                fresh = probe_cpu(base_url, root)
                for part in (root / "raw" / "responses").glob("*/*.parquet"):
                    part.unlink()
                resumed = probe_cpu(base_url, root)
            download = download_cpu(base_url)
        finally:
            process.terminate()
            process.wait()
        print(f"{label:<24} {fresh:>14.3f}s {download:>13.3f}s {fresh - download:>10.3f}s {resumed:>15.3f}s")
    text = "abcdefghijklmnopqrstuvwxyz" * (64 * 1024 // 26)
    started = time.process_time()
    detect(text)
    whole = time.process_time() - started
    started = time.process_time()
    reply_language(text)
    sample = time.process_time() - started
    print(f"language id of a 64 KiB unspaced reply: whole text {whole:.3f}s, 4,096-char sample {sample:.3f}s")


if __name__ == "__main__":
    main()
