"""What does distribution similarity's bootstrap cost on a full CultureSPA run, at B = 200 and 1000?

Generates a full CultureSPA run's raw answers synthetically in the real Arrow schema: the 260
seed questions asked culture-unaware once and, for each of the paper's 18 cultures, with the
persona strategies (`aware`, `cross_culture`; with `--strategies all` also the P3 baselines),
classification style, base variant, 3 trials (temperature > 0, so the trials of a question
agree only sometimes: each (culture, strategy, question) has a modal code that a trial gives
with probability 0.6, else a uniform code; 2% of the replies unparseable). It builds the
warehouse once (seeds and every model the distribution marts need), then times, for each
B and each version of the distribution models (this checkout's and, with `--baseline-ref`,
the dbt project of a git ref), the `dbt build` (models and their data tests) of the
bootstrap models (`int_wvs_culturespa_distributions_bootstrapped` and, in this checkout,
`int_wvs_culturespa_distribution_answers`, `_replicates` and `_weights`) and the two marts
(`distribution_similarity`, `distribution_similarity_by_style`), side by side in one run on
the same data. It checks the two versions' point estimates agree, and prints wall times,
dbt's per-model times and the load average before and after each measurement.

    python benchmarks/distribution_bootstrap.py [--baseline-ref HEAD~3] [--replicates 200 1000]
        [--strategies paper|all] [--repeat 2] [--workdir /tmp/dist_boot] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from culturewatch.instruments.loader import load_instrument
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# what B changes: the bootstrap models and the two marts (int_wvs_culturespa_distribution_answers
# exists only after the change; a selector that matches nothing is fine)
SELECT = ["int_wvs_culturespa_distribution_answers+", "int_wvs_culturespa_distributions_bootstrapped+"]
RUN_ID = "spa-full-run"
TRIALS = 3
STRATEGIES = {
    "paper": ["aware", "cross_culture"],
    "all": [
        "aware",
        "cross_culture",
        "self_alignment",
        "aware_self_alignment",
        "cross_culture_self_alignment",
    ],
}
STARTED = datetime(2026, 1, 1, tzinfo=UTC)


def generate(data_dir: Path, persona_strategies: list[str], seed: int = 0) -> int:
    """One full CultureSPA run of raw responses plus its run events; returns the row count."""
    instrument = load_instrument("wvs_culturespa")
    rng = np.random.default_rng(seed)
    cells = [(None, "unaware")] + [
        (country, strategy) for country in sorted(instrument.countries) for strategy in persona_strategies
    ]
    rows: dict[str, list[object]] = {
        name: [] for name in ("item_id", "country", "strategy", "trial", "answer")
    }
    status: list[str] = []
    for country, strategy in cells:
        for question in instrument.questions:
            codes = np.arange(question.scale.min, question.scale.max + 1)
            modal = rng.choice(codes)
            for trial in range(TRIALS):
                code = modal if rng.random() < 0.6 else rng.choice(codes)
                ok = rng.random() >= 0.02
                rows["item_id"].append(question.id)
                rows["country"].append(country)
                rows["strategy"].append(strategy)
                rows["trial"].append(trial)
                rows["answer"].append(float(code) if ok else None)
                status.append("ok" if ok else "unparseable")
    n = len(status)
    columns = {
        "run_id": pa.array([RUN_ID] * n),
        "model": pa.array(["bench-model"] * n),
        "model_version": pa.array(["v1"] * n),
        "instrument": pa.array(["wvs_culturespa"] * n),
        "item_id": pa.array(rows["item_id"]),
        "country": pa.array(rows["country"], pa.string()),
        "prompt_language": pa.array(["en"] * n),
        "style": pa.array(["classification"] * n),
        "strategy": pa.array(rows["strategy"]),
        "variant": pa.array(["base"] * n),
        "trial": pa.array(rows["trial"], pa.int32()),
        "prompt": pa.array([f"prompt {i}" for i in range(n)]),
        "response_text": pa.array([str(a) for a in rows["answer"]]),
        "answer": pa.array(rows["answer"], pa.float64()),
        "answer_method": pa.array(["parsed"] * n),
        "parse_status": pa.array(status),
        "requested_at": pa.array([STARTED] * n, pa.timestamp("us", tz="UTC")),
        "instrument_version": pa.array([instrument.version] * n),
        "parser_version": pa.array(["bench"] * n),
        "temperature": pa.array([0.7] * n),
        "max_tokens": pa.array([8] * n, pa.int32()),
        "cache_hit": pa.array([False] * n),
    }
    arrays = [columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in RAW_RESPONSE_SCHEMA]
    folder = data_dir / "raw" / "responses" / f"run_id={RUN_ID}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_arrays(arrays, schema=RAW_RESPONSE_SCHEMA), folder / "part-0.parquet")
    event = {
        "run_id": RUN_ID,
        "instrument": "wvs_culturespa",
        "model": "bench-model",
        "model_version": "v1",
        "base_url": "http://localhost:0/v1",
        "prompt_language": "en",
        "cells_planned": n,
        "requests_sent": n,
        "prompt_tokens": 100 * n,
        "completion_tokens": 2 * n,
        "cost_usd": None,
        "message": None,
    }
    events = [
        {**event, "event": "started", "cells_answered": 0, "recorded_at": STARTED},
        {**event, "event": "completed", "cells_answered": n, "recorded_at": STARTED},
    ]
    folder = data_dir / "raw" / "runs" / f"run_id={RUN_ID}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(events, schema=RUN_EVENT_SCHEMA), folder / "part-0.parquet")
    return n


def dbt(project: Path, arguments: list[str], data_dir: Path, target: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CULTUREWATCH_DATA_DIR": str(data_dir),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [sys.executable, "-m", "dbt.cli.main", *arguments, "--project-dir", str(project)]
    command += ["--profiles-dir", str(project), "--target-path", str(target / "target")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(
            f"dbt {' '.join(arguments)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
        )
    return result


def baseline_project(ref: str, into: Path) -> Path:
    """The dbt project as it is at `ref` (its distribution models and their tests), to rebuild
    the same selection on the same warehouse."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "dbt_project"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "dbt_project"


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def point_estimates(data_dir: Path) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(
            """select country, strategy, item_id, similarity from marts.distribution_similarity
            order by all"""
        ).fetchall()


def intervals(data_dir: Path) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(
            """select country, strategy, similarity_ci_low, similarity_ci_high
            from marts.distribution_similarity_by_style order by all"""
        ).fetchall()


def time_run(project: Path, data_dir: Path, work: Path, replicates: int) -> dict[str, object]:
    before = load()
    started = time.perf_counter()
    settings = json.dumps({"distribution_bootstrap_replicates": replicates})
    dbt(project, ["build", "--select", *SELECT, "--vars", settings], data_dir, work)
    wall = time.perf_counter() - started
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    per_model = {
        r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
        for r in results
        if r["unique_id"].startswith("model.")
    }
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    return {
        "wall_s": round(wall, 2),
        "models_total_s": round(sum(per_model.values()), 2),
        "tests_total_s": round(tests, 2),
        "models_s": per_model,
        "load_before": before,
        "load_after": load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline-ref", help="git ref whose distribution models to time beside this checkout's"
    )
    parser.add_argument("--replicates", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--strategies", choices=sorted(STRATEGIES), default="paper")
    parser.add_argument("--repeat", type=int, default=1, help="time each configuration this many times")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dist_boot-"))
    work.mkdir(parents=True, exist_ok=True)
    data_dir = work / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    rows = generate(data_dir, STRATEGIES[args.strategies])
    now = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"{platform.node()} {os.cpu_count()} cpus, duckdb {duckdb.__version__}, {now}")
    print(f"raw rows: {rows} (strategies: unaware + {STRATEGIES[args.strategies]}, {TRIALS} trials)")
    started = time.perf_counter()
    setup = ["build", "--select", "+distribution_similarity_by_style", "--exclude", *SELECT]
    dbt(DBT_PROJECT_DIR, [*setup, "--indirect-selection", "cautious"], data_dir, work / "setup")
    print(f"setup build (seeds, staging, answers): {time.perf_counter() - started:.1f} s")
    projects = {"current": DBT_PROJECT_DIR}
    if args.baseline_ref:
        projects[f"baseline {args.baseline_ref}"] = baseline_project(args.baseline_ref, work / "baseline")
    estimates = {}
    for replicates in args.replicates:
        for name, project in projects.items():
            for attempt in range(args.repeat):
                timing = time_run(
                    project, data_dir, work / f"{name}-{replicates}-{attempt}".replace(" ", "_"), replicates
                )
                print(f"B={replicates:<5} {name:<28} {json.dumps(timing)}")
            estimates[(name, replicates)] = (point_estimates(data_dir), intervals(data_dir))
    for replicates in args.replicates:
        points = {name: estimates[(name, replicates)][0] for name in projects}
        agree = len({json.dumps(value, default=str) for value in points.values()}) == 1
        print(f"B={replicates}: point estimates identical across versions: {agree}")
    if not args.keep and not args.workdir:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
