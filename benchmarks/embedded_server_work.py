"""The embedded server before and after issue 16, side by side: its floor, its time, its answers.

Runs a fixed subset of the demo grid (the embedded config, English; by default 2 countries × 24
items) through the probe (`run_probe`, cold cache) four times, each against a fresh server:

- old greedy:   llama-cpp-python's stock server (logits of every token), max_tokens 8
- new greedy:   the lean server (logits only where it samples), the embedded config's max_tokens
- new logprobs: the lean server, `answer_distribution: logprobs` (top_logprobs 20)
- old logprobs: the stock server, logprobs, max_tokens 8

(old arms first and last, so a drift of the machine's speed does not favour the new ones). Each
server answers one warm-up request first, not counted. For each arm it prints the engine's work
as llama.cpp logged it (new prompt tokens and the prompt-eval rate, one-token decodes and their
rate), the probe's wall time, and the floor ÷ that time, where the floor is what the engine
needs at least for these cells: the new greedy arm's tokens at its rates (new prompt tokens ÷
prompt-eval rate + decodes ÷ decode rate). Then the speed-ups, and whether the answers agree
arm to arm. Targets (issue 16): floor ÷ time ≥ 0.95 for the new arms, new vs old greedy ≥ 1.4×,
logprobs no slower than greedy. Usage:

    python benchmarks/embedded_server_work.py [--countries EG JP] [--port 8151]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx
import yaml

from culturewatch.config.loader import bundled_config
from culturewatch.config.schema import ProbeConfig
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import build_specs
from culturewatch.probing.runner import run_probe
from culturewatch.serving.engine_work import EngineWork
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.serving.model_files import assemble
from culturewatch.settings import MODELS_DIR_ENV, PROJECT_ROOT, data_paths
from culturewatch.storage.parquet import read_table

OLD_MAX_TOKENS = 8  # the embedded config before issue 16
DEFAULT_COUNTRIES = ["EG", "JP"]


@dataclass(frozen=True)
class Arm:
    name: str
    engine: Literal["stock", "lean"]
    max_tokens: int
    answer_distribution: Literal["parsed", "logprobs"]


@dataclass(frozen=True)
class ArmResult:
    arm: Arm
    seconds: float
    work: EngineWork
    readings: dict[tuple, tuple]  # cell → (answer, status, answer_method)
    completion_tokens: int  # as the server reported them, summed over the replies
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average as the arm started and ended

    @property
    def parsed(self) -> int:
        return sum(status == "ok" for _, status, _ in self.readings.values())


def arms(new_max_tokens: int) -> list[Arm]:
    """Old arms first and last, new ones between."""
    return [
        Arm("old greedy", "stock", OLD_MAX_TOKENS, "parsed"),
        Arm("new greedy", "lean", new_max_tokens, "parsed"),
        Arm("new logprobs", "lean", new_max_tokens, "logprobs"),
        Arm("old logprobs", "stock", OLD_MAX_TOKENS, "logprobs"),
    ]


def arm_config(arm: Arm, countries: list[str], port: int) -> ProbeConfig:
    """The embedded config (as bundled) on `port`, for `countries`, with the arm's settings."""
    raw = yaml.safe_load(bundled_config("embedded").read_text(encoding="utf-8"))
    raw["models"][0]["base_url"] = f"http://127.0.0.1:{port}/v1"
    raw["grid"] |= {
        "countries": countries,
        "max_tokens": arm.max_tokens,
        "answer_distribution": arm.answer_distribution,
    }
    return ProbeConfig.model_validate(raw)


def agreement(a: ArmResult, b: ArmResult, tolerance: float = 1e-3) -> int:
    """Cells read the same in both arms: same status and method, answers within `tolerance`."""
    same = 0
    for cell, (answer, status, method) in a.readings.items():
        other = b.readings.get(cell)
        if other is None or (status, method) != other[1:]:
            continue
        if answer == other[0] or (
            answer is not None and other[0] is not None and abs(answer - other[0]) <= tolerance
        ):
            same += 1
    return same


def floor_ratio(result: ArmResult, floor_s: float) -> float:
    return floor_s / result.seconds


def run_arm(
    arm: Arm, model: str, model_path: Path, countries: list[str], port: int, scratch: Path
) -> ArmResult:
    config = arm_config(arm, countries, port)
    [spec] = build_specs(config, load_instrument(config.grid.instrument), {model: "bench"})
    paths = data_paths(scratch / arm.name.replace(" ", "-"))
    server = LocalModelServer(
        model,
        model_path,
        port=port,
        log_path=scratch / f"{arm.name.replace(' ', '-')}.log",
        engine=arm.engine,
    )
    load_before = os.getloadavg()[0]
    with server:
        warm_up = {"model": model, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 1}
        httpx.post(f"{server.base_url}/chat/completions", json=warm_up, timeout=300).raise_for_status()
        started = time.perf_counter()
        outcome = run_probe(spec, paths)
        seconds = time.perf_counter() - started
        work = server.engine_work(skip_requests=1)
    assert outcome.cache_hits == 0 and outcome.requests_sent == outcome.cells_planned, outcome
    rows = read_table(paths.run_dir(spec.run_id)).to_pylist()
    readings = {
        (row["country"], row["item_id"], row["variant"], row["trial"]): (
            row["answer"],
            row["parse_status"],
            row["answer_method"],
        )
        for row in rows
    }
    completion_tokens = sum(row["completion_tokens"] or 0 for row in rows)
    return ArmResult(arm, seconds, work, readings, completion_tokens, (load_before, os.getloadavg()[0]))


def report(results: list[ArmResult], load: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    by_name = {result.arm.name: result for result in results}
    floor = by_name["new greedy"].work
    floor_s = floor.floor_s(floor.prompt_eval_rate, floor.decode_rate)
    cells = len(by_name["new greedy"].readings)
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs; "
        f"load average {' '.join(f'{x:.2f}' for x in load[0])} before, "
        f"{' '.join(f'{x:.2f}' for x in load[1])} after; {cells} prompts per arm",
        f"{'arm':<13} {'engine':<6} {'max_tok':>7} {'parsed':>7} {'prompt tok':>10} {'eval tok/s':>10} "
        f"{'generated':>9} {'decodes':>7} {'dec tok/s':>9} {'engine s':>8} {'actual s':>8} "
        f"{'floor/actual':>12} {'load':>9}",
    ]
    for result in results:
        work = result.work
        lines.append(
            f"{result.arm.name:<13} {result.arm.engine:<6} {result.arm.max_tokens:>7} "
            f"{result.parsed:>3}/{len(result.readings):<3} {work.prompt_tokens:>10} "
            f"{work.prompt_eval_rate:>10.1f} {result.completion_tokens:>9} {work.decodes:>7} "
            f"{work.decode_rate:>9.1f} "
            f"{work.seconds:>8.1f} {result.seconds:>8.1f} {floor_ratio(result, floor_s):>12.3f} "
            f"{result.load[0]:>4.1f}-{result.load[1]:<4.1f}"
        )
    lines.append(f"floor (new greedy's tokens at its rates): {floor_s:.1f} s")

    def speed_up(old: str, new: str) -> str:
        return f"{by_name[old].seconds / by_name[new].seconds:.2f}x"

    lines += [
        f"speed-up new vs old greedy: {speed_up('old greedy', 'new greedy')} (target >= 1.4x)",
        f"speed-up new vs old logprobs: {speed_up('old logprobs', 'new logprobs')}",
        f"new logprobs vs new greedy: {speed_up('new greedy', 'new logprobs')} (>= 1 is no slower)",
        f"old logprobs vs old greedy: {speed_up('old greedy', 'old logprobs')}",
        f"readings equal, new vs old greedy: "
        f"{agreement(by_name['new greedy'], by_name['old greedy'])}/{cells}",
        f"readings equal, new vs old logprobs: "
        f"{agreement(by_name['new logprobs'], by_name['old logprobs'])}/{cells}",
    ]
    for result in results:
        methods: dict[str, int] = {}
        for _, _, method in result.readings.values():
            methods[method] = methods.get(method, 0) + 1
        lines.append(f"answer_method, {result.arm.name}: {methods}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", nargs="+", default=DEFAULT_COUNTRIES)
    parser.add_argument("--port", type=int, default=8151)
    args = parser.parse_args()
    embedded = ProbeConfig.model_validate(yaml.safe_load(bundled_config("embedded").read_text()))
    model = embedded.models[0].name
    model_path = assemble(model, Path(os.environ.get(MODELS_DIR_ENV, PROJECT_ROOT / "models")))
    before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        results = [
            run_arm(arm, model, model_path, args.countries, args.port, Path(scratch))
            for arm in arms(embedded.grid.max_tokens_for("classification"))
        ]
    print(f"model {model}, countries {args.countries}")
    print(report(results, (before, os.getloadavg())))


if __name__ == "__main__":
    main()
