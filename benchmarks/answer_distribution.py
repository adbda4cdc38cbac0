"""One call with logprobs vs many sampled calls: cost and agreement of answer distributions.

For a few VSM items (US persona, English), estimates each item's answer distribution two
ways against the same local server: (a) one call with `top_logprobs` (the probe's
`answer_distribution: logprobs`), (b) N sampled calls at temperature 1 (`parsed`, trials
0..N-1). Prints calls and seconds per item for each way, and the total-variation distance
and 1 − normalised Wasserstein distance between the two distributions. Usage:

    python benchmarks/answer_distribution.py [--model qwen2.5-coder-1.5b-instruct] [--samples 20]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from scipy.stats import wasserstein_distance

from culturewatch.config.schema import ProbeConfig
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import build_specs
from culturewatch.probing.runner import run_probe
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.serving.model_files import assemble
from culturewatch.settings import MODELS_DIR_ENV, PROJECT_ROOT, data_paths
from culturewatch.storage.parquet import read_table

ITEMS = ["m02", "m07", "m15", "m21"]


def probe(base_url: str, model: str, paths_root: Path, grid: dict) -> tuple[list[dict], float]:
    config = ProbeConfig(
        models=[{"name": model, "base_url": base_url, "version": "bench"}],
        grid={"settings": ["english"], "countries": ["US"], "items": ITEMS, "max_tokens": 8, **grid},
        client={"concurrency": 1},
    )
    [spec] = build_specs(config, load_instrument("vsm2013"), {model: "bench"})
    paths = data_paths(paths_root)
    started = time.perf_counter()
    run_probe(spec, paths)
    elapsed = time.perf_counter() - started
    return read_table(paths.run_dir(spec.run_id)).to_pylist(), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--port", type=int, default=8096)
    args = parser.parse_args()
    model_path = assemble(args.model, Path(os.environ.get(MODELS_DIR_ENV, PROJECT_ROOT / "models")))
    with (
        tempfile.TemporaryDirectory() as scratch,
        LocalModelServer(
            args.model, model_path, port=args.port, log_path=Path(scratch) / "server.log"
        ) as server,
    ):
        one_call, one_seconds = probe(
            server.base_url, args.model, Path(scratch) / "a", {"answer_distribution": "logprobs"}
        )
        sampled, sampled_seconds = probe(
            server.base_url, args.model, Path(scratch) / "b", {"temperature": 1.0, "trials": args.samples}
        )
    scale = range(1, 6)
    print(f"model {args.model}; {len(ITEMS)} items; sampling: {args.samples} calls per item at T=1")
    print(f"  logprobs: 1 call per item, {one_seconds / len(ITEMS):.2f} s per item")
    print(
        f"  sampling: {args.samples} calls per item, {sampled_seconds / len(ITEMS):.2f} s per item "
        f"({sampled_seconds / one_seconds:.1f}x the time)"
    )
    print(f"{'item':<6}{'logprobs distribution':<34}{'sampled distribution':<34}{'TV':>6}{'1-W':>7}")
    for item in ITEMS:
        [row] = [r for r in one_call if r["item_id"] == item]
        p = row["answer_probs"]
        answers = [r["answer"] for r in sampled if r["item_id"] == item and r["answer"] is not None]
        q = [sum(1 for a in answers if round(a) == k) / max(len(answers), 1) for k in scale]
        if p is None:
            print(f"{item:<6}no answer token in the reply ({row['response_text']!r})")
            continue
        tv = 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True))
        similarity = 1 - wasserstein_distance(list(scale), list(scale), p, q) / 4
        shown_p = " ".join(f"{x:.2f}" for x in p)
        shown_q = " ".join(f"{x:.2f}" for x in q)
        print(
            f"{item:<6}{shown_p:<34}{shown_q:<34}{tv:6.3f}{similarity:7.3f}  (mass {row['option_mass']:.2f})"
        )


if __name__ == "__main__":
    main()
