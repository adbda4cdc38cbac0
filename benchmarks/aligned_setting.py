"""The paper's main setting (`aligned`) as the main job on the embedded model, per prompt language.

Runs the main job (`culturewatch demo`: the probe DAG, then the transform DAG, through
`airflow dags test`, with the lean local model server) on the embedded config changed only in
`settings: [aligned]` (each of the 20 countries asked in its own language, all 24 items) and,
with --max-tokens, the classification max_tokens. Then prints per prompt language: prompts,
parsed, the whole prompt's tokens per prompt, the new prompt tokens (what the prefix cache did
not hold), generated tokens, the engine's seconds and prompt-eval rate (from the server's log,
request by request), and the probe's seconds (the requests' latencies); and the whole job's time.
With --compare OTHER_DATA_DIR, also how many cells read differently from another run of the
same grid (e.g. at another max_tokens). With --plan-only, no server: the grid's prompts in the
probe's order, tokenized with the model's own tokenizer (vocabulary only, in the model server's
venv), and per language the tokens a prefix cache holding the previous prompt would not hold,
with the engine's prompt-eval seconds at --rate (a measured prompt-eval rate). Usage:

    python benchmarks/aligned_setting.py --data-dir /tmp/aligned [--max-tokens 8] [--port 8151]
    python benchmarks/aligned_setting.py --data-dir /tmp/aligned --analyse-only [--compare /tmp/other]
    python benchmarks/aligned_setting.py --data-dir /tmp/aligned --plan-only --rate 55
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import yaml

from culturewatch.config.loader import bundled_config, load_config
from culturewatch.demo import run_demo
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import build_specs, cells_for
from culturewatch.probing.rendering import render_messages
from culturewatch.serving.engine_work import EngineWork, completions_work, total_work
from culturewatch.serving.llama_server import model_server_python
from culturewatch.serving.model_files import assemble, model_file
from culturewatch.settings import DataPaths, data_paths
from culturewatch.storage.parquet import read_table

RUN_ID = re.compile(r"run_id=([^/]+)/")
CELL = ("country", "prompt_language", "item_id", "variant", "trial")
TOKENIZE = """
import json, sys, llama_cpp
from llama_cpp import llama_chat_format
llm = llama_cpp.Llama(model_path=sys.argv[1], vocab_only=True, verbose=False)
template = getattr(llama_chat_format, "format_" + sys.argv[2])
prompts = [template(messages).prompt.encode() for messages in json.load(sys.stdin)]
json.dump([llm.tokenize(prompt, add_bos=False, special=True) for prompt in prompts], sys.stdout)
"""


def aligned_config(path: Path, port: int, max_tokens: int | None, setting: str = "aligned") -> Path:
    """The embedded config with `settings: [aligned]` (or `setting`) and the server on `port`,
    written to `path`."""
    raw = yaml.safe_load(bundled_config("embedded").read_text(encoding="utf-8"))
    raw["models"][0]["base_url"] = f"http://127.0.0.1:{port}/v1"
    raw["grid"]["settings"] = [setting]
    if max_tokens is not None:
        raw["grid"]["max_tokens"] = max_tokens
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def answers(paths: DataPaths) -> list[dict]:
    """Every raw answer under `paths`, in the order they were asked."""
    run_ids = sorted(
        {found[1] for file in paths.raw_responses.files() if (found := RUN_ID.search(file.path))}
    )
    rows = [row for run_id in run_ids for row in read_table(paths.run_dir(run_id)).to_pylist()]
    return sorted(rows, key=lambda row: row["requested_at"])


def per_language(rows: list[dict], works: list[EngineWork] | None) -> list[str]:
    """One line per prompt language; `works` are the server's completions in the order asked
    (None when they do not match the answers one to one)."""
    by_language: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_language[row["prompt_language"]].append(index)
    lines = [
        f"{'lang':<5} {'prompts':>7} {'parsed':>6} {'tok/prompt':>10} {'new tok':>8} {'generated':>9} "
        f"{'engine s':>8} {'eval tok/s':>10} {'probe s':>8}"
    ]
    for language, indexes in sorted(by_language.items()):
        chosen = [rows[i] for i in indexes]
        parsed = sum(row["parse_status"] == "ok" for row in chosen)
        prompt_tokens = sum(row["prompt_tokens"] or 0 for row in chosen) / len(chosen)
        generated = sum(row["completion_tokens"] or 0 for row in chosen)
        probe_s = sum(row["latency_ms"] or 0 for row in chosen) / 1000
        work = total_work([works[i] for i in indexes]) if works is not None else None
        engine = (
            f"{work.prompt_tokens:>8} {generated:>9} {work.seconds:>8.1f} {work.prompt_eval_rate:>10.1f}"
            if work
            else f"{'?':>8} {generated:>9} {'?':>8} {'?':>10}"
        )
        lines.append(
            f"{language:<5} {len(chosen):>7} {parsed:>6} {prompt_tokens:>10.0f} {engine} {probe_s:>8.1f}"
        )
    return lines


def planned_prompts(config_path: Path) -> list[tuple[str, list[dict[str, str]]]]:
    """(prompt language, messages) of every cell the config plans, in the order the probe asks them."""
    config = load_config(config_path)
    instrument = load_instrument(config.grid.instrument)
    prompts = []
    for spec in build_specs(config, instrument, {config.models[0].name: "plan"}):
        _, grid, _ = spec.parsed()
        pairs = [(country, spec.prompt_language) for country in spec.countries]
        prompts += [
            (spec.prompt_language, render_messages(instrument, cell))
            for cell in cells_for(grid, instrument, pairs)
        ]
    return prompts


def tokenize_prompts(model: str, models_dir: Path, messages: list[list[dict[str, str]]]) -> list[list[int]]:
    """The whole prompt of each chat request as the model server sees it (its chat format), tokenized."""
    done = subprocess.run(
        [
            str(model_server_python()),
            "-c",
            TOKENIZE,
            str(assemble(model, models_dir)),
            model_file(model).chat_format,
        ],
        input=json.dumps(messages),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def new_prompt_tokens(prompts: list[list[int]]) -> list[int]:
    """Per prompt, the tokens a prefix cache holding the previous prompt does not hold: all after
    their longest common prefix, at least one (llama.cpp evaluates the last token again)."""
    new, previous = [], []
    for tokens in prompts:
        common = 0
        for mine, theirs in zip(tokens, previous, strict=False):
            if mine != theirs:
                break
            common += 1
        new.append(max(1, len(tokens) - common))
        previous = tokens
    return new


def planned_work(languages: list[str], prompts: list[list[int]], rate: float) -> list[str]:
    """One line per prompt language: prompts, whole prompt's tokens per prompt, new prompt tokens,
    and their prompt-eval seconds at `rate` tokens/s; then all languages."""
    new = new_prompt_tokens(prompts)
    by_language: dict[str, list[int]] = defaultdict(list)
    for index, language in enumerate(languages):
        by_language[language].append(index)
    lines = [f"{'lang':<5} {'prompts':>7} {'tok/prompt':>10} {'new tok':>8} {'new/prompt':>10} {'eval s':>7}"]
    for language, indexes in [*sorted(by_language.items()), ("all", list(range(len(languages))))]:
        whole = sum(len(prompts[i]) for i in indexes)
        fresh = sum(new[i] for i in indexes)
        lines.append(
            f"{language:<5} {len(indexes):>7} {whole / len(indexes):>10.0f} {fresh:>8} "
            f"{fresh / len(indexes):>10.1f} {fresh / rate:>7.0f}"
        )
    return lines


def changed_readings(rows: list[dict], other: list[dict]) -> dict[str, int]:
    """Per prompt language, the cells whose (answer, parse_status) differ between two runs."""
    theirs = {tuple(row[name] for name in CELL): (row["answer"], row["parse_status"]) for row in other}
    changed: dict[str, int] = defaultdict(int)
    for row in rows:
        key = tuple(row[name] for name in CELL)
        if key in theirs and theirs[key] != (row["answer"], row["parse_status"]):
            changed[row["prompt_language"]] += 1
    return dict(changed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--port", type=int, default=8151)
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--analyse-only", action="store_true")
    parser.add_argument("--compare", type=Path, help="another run's data dir, to count changed readings")
    parser.add_argument("--plan-only", action="store_true", help="count the prompts' tokens; no server")
    parser.add_argument("--rate", type=float, default=50.0, help="prompt-eval tokens/s, for --plan-only")
    parser.add_argument("--setting", default="aligned", help="the grid's setting (english: the demo's)")
    args = parser.parse_args()
    paths = data_paths(args.data_dir)
    if args.plan_only:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        config_path = aligned_config(args.data_dir / "aligned.yaml", args.port, args.max_tokens, args.setting)
        planned = planned_prompts(config_path)
        model = load_config(config_path).models[0].name
        tokens = tokenize_prompts(model, paths.models, [messages for _, messages in planned])
        print(f"{model}, {args.setting} grid, prompt eval at {args.rate:.1f} tok/s")
        print("\n".join(planned_work([language for language, _ in planned], tokens, args.rate)))
        return
    if not args.analyse_only:
        config = aligned_config(args.data_dir / "aligned.yaml", args.port, args.max_tokens)
        before = os.getloadavg()
        result = run_demo(paths, config, port=args.port)
        print(result.summary)
        print(
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: main job, aligned, {result.seconds / 60:.1f} min; load "
            f"average {before[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
        )
    rows = answers(paths)
    works = completions_work((paths.logs / f"model-server-{args.port}.log").read_text(errors="replace"))
    matched = works[-len(rows) :] if len(works) >= len(rows) else None
    if matched is None:
        print(f"the server log has {len(works)} completions for {len(rows)} answers: engine columns left out")
    print("\n".join(per_language(rows, matched)))
    if matched is not None:
        work = total_work(matched)
        print(
            f"all: {len(rows)} prompts, {work.prompt_tokens} new prompt tokens at "
            f"{work.prompt_eval_rate:.1f} tok/s, {work.decodes} decodes at {work.decode_rate:.1f} tok/s, "
            f"engine {work.seconds / 60:.1f} min"
        )
    if args.compare:
        changed = changed_readings(rows, answers(data_paths(args.compare)))
        print(f"readings that differ from {args.compare}: {changed}")


if __name__ == "__main__":
    main()
