"""Do the VSM marts scale? dbt full build, one added run, and pandas, at 100k / 1M / 10M raw rows.

For each size, in one run on the same data: generates synthetic VSM 2013 raw data in the real
Arrow schema (`RAW_RESPONSE_SCHEMA`, `RUN_EVENT_SCHEMA`), then measures

- `dbt build` (seeds, models, tests) of the VSM marts and the runs mart from an empty
  warehouse (`--select +vsm_country_scores +deviation_ratio +runs --indirect-selection
  cautious`),
- the incremental `dbt build` of the same selection after one more run lands in raw/,
- the same two marts (vsm_country_scores, deviation_ratio) computed by a straightforward
  pandas implementation (`pandas_marts`), whose numbers are checked against dbt's,

and prints the times, their ratios, where dbt's time went (per node kind, from
run_results.json) and the load average around each measurement (the machine may be shared).
Synthetic data: full-grid runs (20 countries × 20
prompt languages × 24 items × 3 trials = 28,800 rows), answers uniform on 1..5 with 2%
`unparseable` and 0.5% `refusal` rows, one Parquet file per run × prompt language (1,440
rows, i.e. probe batches compacted per slice), one event file per `started`/`completed`
event as the probe writes them. Usage:

    python benchmarks/dbt_scale.py --sizes 100k 1M 10M [--workdir /tmp/dbt_scale] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS = DBT_PROJECT_DIR / "seeds"
SELECTION = "+vsm_country_scores +deviation_ratio +runs"
# tests run only when all their parents are selected (a staging test that also needs a WVS
# seed belongs to the WVS marts' build)
INDIRECT = "cautious"

ITEMS = [f"m{number:02d}" for number in range(1, 25)]
TRIALS = 3
MODELS = 5  # run i belongs to model i % MODELS, version i // MODELS
STATUS_SHARES = (("unparseable", 0.02), ("refusal", 0.005))
STARTED = datetime(2026, 1, 1, tzinfo=UTC)


def _countries() -> list[tuple[str, str]]:
    with (SEEDS / "reference" / "countries.csv").open(encoding="utf-8") as handle:
        return [(row["country_code"], row["language_code"]) for row in csv.DictReader(handle)]


COUNTRIES = _countries()
LANGUAGES = [language for _, language in COUNTRIES]
ROWS_PER_FILE = len(COUNTRIES) * len(ITEMS) * TRIALS
ROWS_PER_RUN = ROWS_PER_FILE * len(LANGUAGES)


# ---------------------------------------------------------------- synthetic raw data


def _slice_table(run_index: int, language: str, rng: np.random.Generator) -> pa.Table:
    """One run × prompt language: every country, item and trial (the key is unique)."""
    n = ROWS_PER_FILE
    country = np.repeat([code for code, _ in COUNTRIES], len(ITEMS) * TRIALS)
    item = np.tile(np.repeat(ITEMS, TRIALS), len(COUNTRIES))
    trial = np.tile(np.arange(TRIALS, dtype=np.int32), len(COUNTRIES) * len(ITEMS))
    draw = rng.random(n)
    status = np.full(n, "ok", dtype=object)
    threshold = 0.0
    for name, share in STATUS_SHARES:
        status[(draw >= threshold) & (draw < threshold + share)] = name
        threshold += share
    answer = rng.integers(1, 6, n).astype(np.float64)
    answer[status != "ok"] = np.nan
    requested = STARTED + timedelta(hours=run_index)
    prompt = np.char.add(np.char.add(item.astype(str), " as an average person from "), country.astype(str))
    columns = {
        "run_id": pa.array(np.full(n, f"run-{run_index:05d}")),
        "model": pa.array(np.full(n, f"model-{run_index % MODELS}")),
        "model_version": pa.array(np.full(n, f"v{run_index // MODELS}")),
        "instrument": pa.array(np.full(n, "vsm2013")),
        "item_id": pa.array(item),
        "country": pa.array(country),
        "prompt_language": pa.array(np.full(n, language)),
        "style": pa.array(np.full(n, "classification")),
        "strategy": pa.array(np.full(n, "aware")),
        "variant": pa.array(np.full(n, "base")),
        "trial": pa.array(trial, pa.int32()),
        "prompt": pa.array(prompt),
        "response_text": pa.array(np.where(status == "ok", "Answer: 3", "I cannot say")),
        "answer": pa.array(answer, from_pandas=True),
        "answer_probs": pa.nulls(n, pa.list_(pa.float64())),
        "answer_method": pa.array(np.full(n, "parsed")),
        "option_mass": pa.nulls(n, pa.float64()),
        "parse_status": pa.array(status.astype(str)),
        "requested_at": pa.array(np.full(n, requested), pa.timestamp("us", tz="UTC")),
        "instrument_version": pa.array(np.full(n, "2013.1.0")),
        "parser_version": pa.array(np.full(n, "1.4.0")),
        "temperature": pa.array(np.zeros(n)),
        "seed": pa.array(trial.astype(np.int64)),
        "max_tokens": pa.array(np.full(n, 8, dtype=np.int32)),
        "latency_ms": pa.array(rng.gamma(4.0, 250.0, n)),
        "prompt_tokens": pa.array(rng.integers(60, 220, n).astype(np.int32)),
        "completion_tokens": pa.array(rng.integers(1, 8, n).astype(np.int32)),
        "cache_hit": pa.array(np.zeros(n, dtype=bool)),
    }
    arrays = [
        columns[field.name] if field.name in columns else pa.nulls(n, field.type)
        for field in RAW_RESPONSE_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=RAW_RESPONSE_SCHEMA)


def write_run(data_dir: Path, run_index: int, seed: int = 0) -> int:
    """Write one full-grid run (responses and its lifecycle events); returns its row count."""
    rng = np.random.default_rng([seed, run_index])
    run_id = f"run-{run_index:05d}"
    responses = data_dir / "raw" / "responses" / f"run_id={run_id}"
    events = data_dir / "raw" / "runs" / f"run_id={run_id}"
    responses.mkdir(parents=True, exist_ok=True)
    events.mkdir(parents=True, exist_ok=True)
    recorded = STARTED + timedelta(hours=run_index)
    for number, language in enumerate(LANGUAGES):
        table = _slice_table(run_index, language, rng)
        pq.write_table(table, responses / f"part-{language}.parquet", compression="zstd")
        tokens = pc_sum(table, "prompt_tokens"), pc_sum(table, "completion_tokens")
        for event, answered, sent, minutes in (
            ("started", 0, 0, number),
            ("completed", ROWS_PER_FILE, ROWS_PER_FILE, number + 1),
        ):
            row = {
                "run_id": run_id,
                "event": event,
                "instrument": "vsm2013",
                "model": f"model-{run_index % MODELS}",
                "model_version": f"v{run_index // MODELS}",
                "base_url": "http://localhost:0/v1",
                "prompt_language": language,
                "cells_planned": ROWS_PER_FILE,
                "cells_answered": answered,
                "requests_sent": sent,
                "prompt_tokens": tokens[0] if sent else 0,
                "completion_tokens": tokens[1] if sent else 0,
                "cost_usd": (tokens[0] * 0.15 + tokens[1] * 0.6) / 1e6 if sent else 0.0,
                "recorded_at": recorded + timedelta(minutes=minutes),
                "message": None,
            }
            pq.write_table(
                pa.Table.from_pylist([row], schema=RUN_EVENT_SCHEMA),
                events / f"{event}-{language}.parquet",
            )
    return ROWS_PER_RUN


def pc_sum(table: pa.Table, column: str) -> int:
    return int(pc.sum(table[column]).as_py() or 0)


def generate(data_dir: Path, rows: int) -> int:
    """Full-grid runs until at least `rows` raw rows; returns the number of runs."""
    runs = max(1, math.ceil(rows / ROWS_PER_RUN))
    for run_index in range(runs):
        write_run(data_dir, run_index)
    return runs


# ---------------------------------------------------------------- the same marts in pandas

KEY = [
    "run_id", "model", "model_version", "instrument_version", "parser_version",
    "country", "prompt_language", "style", "strategy", "variant", "trial",
]  # fmt: skip
GROUP = ["run_id", "model", "model_version", "country", "setting", "style", "strategy", "variant"]
DIMENSIONS = ["pdi", "idv", "mas", "uai", "lto", "ivr"]
SETTING_LANGUAGES = {"english": "en", "chinese": "zh"}


def _terms() -> pd.DataFrame:
    formulas = pd.read_csv(SEEDS / "ground_truth" / "vsm2013_formulas.csv")
    parts = [
        formulas[["dimension", item]]
        .assign(signed_weight=sign * formulas[weight])
        .rename(columns={item: "item_id"})
        for item, weight, sign in (
            ("plus_item_1", "weight_1", 1),
            ("minus_item_1", "weight_1", -1),
            ("plus_item_2", "weight_2", 1),
            ("minus_item_2", "weight_2", -1),
        )
    ]
    terms = pd.concat(parts, ignore_index=True)
    # each difference w(a - b) of answers on 1..5 ranges over -4w..4w: raw_min/max = -/+ 4(w1 + w2)
    weight = terms.signed_weight
    extremes = terms.assign(low=weight.clip(upper=0) * 4, high=weight.clip(lower=0) * 4)
    ranges = extremes.groupby("dimension").agg(raw_min=("low", "sum"), raw_max=("high", "sum"))
    return terms.merge(ranges, on="dimension")


def _ground_truth() -> pd.DataFrame:
    hofstede = pd.read_csv(SEEDS / "ground_truth" / "hofstede_country_scores.csv")
    countries = pd.read_csv(SEEDS / "reference" / "countries.csv")
    long = hofstede.melt(id_vars="iso3", value_vars=DIMENSIONS, var_name="dimension", value_name="truth")
    long = long.dropna()
    long["deviation"] = (long.truth - long.groupby("dimension").truth.transform("mean")).abs()
    codes = countries[["iso3", "country_code"]].rename(columns={"country_code": "country"})
    return long.merge(codes, on="iso3")


def pandas_marts(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """vsm_country_scores and deviation_ratio as a straightforward pandas program."""
    import pyarrow.dataset as ds

    columns = [*KEY, "instrument", "item_id", "answer", "parse_status"]
    raw = (
        ds.dataset(data_dir / "raw" / "responses", format="parquet", partitioning=None)
        .to_table(columns=columns)
        .to_pandas()
    )
    raw = raw[raw.instrument == "vsm2013"]
    terms = _terms()
    valid = raw[(raw.parse_status == "ok") & raw.answer.notna()]
    valid = valid.merge(terms, on="item_id")
    valid["term"] = valid.signed_weight * valid.answer
    per_dimension = valid.groupby([*KEY, "dimension"], dropna=False).agg(
        n_used=("term", "size"), raw=("term", "sum")
    )
    per_dimension = per_dimension.reset_index().merge(
        terms.groupby("dimension").agg(n_terms=("item_id", "size"), raw_min=("raw_min", "first"),
                                       raw_max=("raw_max", "first")).reset_index(),
        on="dimension",
    )  # fmt: skip
    complete = per_dimension[per_dimension.n_used == per_dimension.n_terms].copy()
    complete["score"] = (complete.raw - complete.raw_min) * 100.0 / (complete.raw_max - complete.raw_min)
    scores = complete.pivot_table(index=KEY, columns="dimension", values="score", dropna=False)
    n_valid = valid.groupby(KEY, dropna=False).item_id.nunique().rename("n_valid")
    passes = raw[KEY].drop_duplicates().set_index(KEY)
    vsm = passes.join(scores).join(n_valid).reset_index()
    vsm["n_valid"] = vsm.n_valid.fillna(0).astype(int)
    for dimension in DIMENSIONS:
        if dimension not in vsm:
            vsm[dimension] = np.nan

    # deviation ratio: settings, then per dimension and overall
    countries = pd.read_csv(SEEDS / "reference" / "countries.csv")
    own_language = dict(zip(countries.country_code, countries.language_code, strict=True))
    persona = vsm[vsm.country.notna()]
    free = (
        vsm[vsm.country.isna()]
        .drop(columns="country")
        .merge(countries[["country_code"]].rename(columns={"country_code": "country"}), how="cross")
    )
    passes_all = pd.concat([persona, free], ignore_index=True)
    settings = [
        passes_all[passes_all.prompt_language == passes_all.country.map(own_language)].assign(
            setting="aligned"
        ),
        *(
            passes_all[passes_all.prompt_language == language].assign(setting=setting)
            for setting, language in SETTING_LANGUAGES.items()
        ),
        passes_all.assign(setting="language_average"),
    ]
    assigned = pd.concat(settings, ignore_index=True)
    long = assigned.melt(
        id_vars=[*GROUP, "prompt_language", "trial"],
        value_vars=DIMENSIONS,
        var_name="dimension",
        value_name="score",
    )
    gt = _ground_truth()
    long = long.merge(
        gt[["country", "dimension", "truth", "deviation"]], on=["country", "dimension"], how="left"
    )
    long["difference"] = (long.score - long.truth).abs()

    groups = assigned[GROUP].drop_duplicates()
    n_passes = assigned.groupby(GROUP, dropna=False).size().rename("n_passes")
    per_dim = (
        long[long.difference.notna()]
        .groupby([*GROUP, "dimension"], dropna=False)
        .agg(mean_difference=("difference", "mean"), n_trials=("difference", "size"))
        .reset_index()
    )
    dims = groups.merge(pd.DataFrame({"dimension": DIMENSIONS}), how="cross")
    dims = dims.merge(gt[["country", "dimension", "deviation"]], on=["country", "dimension"], how="left")
    dims = dims.merge(per_dim, on=[*GROUP, "dimension"], how="left")
    defined = dims.deviation.notna() & dims.mean_difference.notna() & (dims.mean_difference != 0)
    dims["deviation_ratio"] = np.where(defined, dims.deviation / dims.mean_difference, np.nan)

    # overall: D* = dimensions with ground truth scored in every pass of the group
    scored = per_dim.merge(n_passes.reset_index(), on=GROUP)
    scored = scored.merge(gt[["country", "dimension", "deviation"]], on=["country", "dimension"])
    star = scored[scored.n_trials == scored.n_passes][[*GROUP, "dimension", "deviation"]]
    numerators = star.groupby(GROUP, dropna=False).deviation.mean().rename("numerator").reset_index()
    in_star = long.merge(star[[*GROUP, "dimension"]], on=[*GROUP, "dimension"])
    per_pass = in_star.groupby([*GROUP, "prompt_language", "trial"], dropna=False).difference.mean()
    denominators = per_pass.groupby(GROUP, dropna=False).mean().rename("denominator").reset_index()
    overall = groups.merge(numerators, on=GROUP, how="left").merge(denominators, on=GROUP, how="left")
    defined = overall.numerator.notna() & overall.denominator.notna() & (overall.denominator != 0)
    overall["deviation_ratio"] = np.where(defined, overall.numerator / overall.denominator, np.nan)
    overall["dimension"] = "overall"
    dr = pd.concat(
        [overall[[*GROUP, "dimension", "deviation_ratio"]], dims[[*GROUP, "dimension", "deviation_ratio"]]],
        ignore_index=True,
    )
    return vsm, dr


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class DbtTiming:
    wall_s: float
    models_s: float  # sum of model execution times (run_results.json)
    tests_s: float  # sum of data and unit test execution times
    parts: dict[str, float]  # execution time summed per node kind (see _part), over both threads


def _part(unique_id: str) -> str:
    """The node kind a run_results entry is reported under."""
    kind, _, name = unique_id.split(".", 2)
    if kind == "model":
        return name if name in {"int_vsm_dimension_scores_computed", "runs"} else (
            "staging models" if name.startswith("stg_") else "other models"
        )  # fmt: skip
    if kind == "test":
        return "staging data tests" if "stg_raw__" in name else "other data tests"
    return {"unit_test": "unit tests", "seed": "seeds"}.get(kind, kind)


def dbt(command: list[str], data_dir: Path) -> DbtTiming:
    """One dbt invocation on `data_dir` (own target/ and logs/), timed from outside."""
    env = {
        **os.environ,
        "CULTUREWATCH_DATA_DIR": str(data_dir),
        "DBT_TARGET_PATH": str(data_dir / "dbt" / "target"),
        "DBT_LOG_PATH": str(data_dir / "dbt" / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    arguments = [
        sys.executable, "-m", "dbt.cli.main", *command,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(arguments, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt {' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    import json

    results = json.loads((data_dir / "dbt" / "target" / "run_results.json").read_text())["results"]
    models = sum(r["execution_time"] for r in results if r["unique_id"].startswith("model."))
    tests = sum(r["execution_time"] for r in results if r["unique_id"].split(".")[0] in {"test", "unit_test"})
    parts: dict[str, float] = {}
    for r in results:
        parts[_part(r["unique_id"])] = parts.get(_part(r["unique_id"]), 0.0) + r["execution_time"]
    return DbtTiming(wall, models, tests, parts)


def check_same_numbers(data_dir: Path, vsm: pd.DataFrame, dr: pd.DataFrame) -> int:
    """dbt's marts equal the pandas ones (scores exactly, DR to 1e-9); returns rows compared."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        dbt_vsm = connection.sql(
            f"select {', '.join(KEY + DIMENSIONS)}, n_valid from marts.vsm_country_scores"
        ).df()
        dbt_dr = connection.sql(
            f"select {', '.join(GROUP)}, dimension, deviation_ratio from marts.deviation_ratio"
        ).df()
    scores = dbt_vsm.merge(vsm, on=KEY, how="outer", suffixes=("_dbt", "_pd"), indicator=True)
    ratios = dbt_dr.merge(dr, on=[*GROUP, "dimension"], how="outer", suffixes=("_dbt", "_pd"), indicator=True)
    assert (scores._merge == "both").all() and (ratios._merge == "both").all(), "row sets differ"
    for column in [*DIMENSIONS, "n_valid"]:
        left, right = scores[f"{column}_dbt"].to_numpy(float), scores[f"{column}_pd"].to_numpy(float)
        assert np.array_equal(left, right, equal_nan=True), column
    left, right = ratios.deviation_ratio_dbt.to_numpy(float), ratios.deviation_ratio_pd.to_numpy(float)
    assert np.allclose(left, right, rtol=1e-9, atol=0, equal_nan=True), "deviation_ratio"
    return len(scores) + len(ratios)


def _pandas_child(data_dir: Path, result: Path, memory_gib: float) -> None:
    import resource

    # a cap on the child's address space: on a shared machine, running out of memory must fail
    # this process (MemoryError), not wake the kernel's OOM killer for someone else's
    limit = int(memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    started = time.perf_counter()
    vsm, dr = pandas_marts(data_dir)
    elapsed = time.perf_counter() - started
    result.write_text(f"{elapsed} {check_same_numbers(data_dir, vsm, dr)}")


def pandas_in_child(data_dir: Path, memory_gib: float) -> tuple[float | None, int]:
    """Time pandas_marts in a child process capped at `memory_gib` of address space (it can run
    out of memory: 10M rows took > 22 GiB)."""
    import multiprocessing

    result = data_dir / "pandas_result.txt"
    result.unlink(missing_ok=True)
    child = multiprocessing.get_context("fork").Process(
        target=_pandas_child, args=(data_dir, result, memory_gib)
    )
    child.start()
    child.join()
    if child.exitcode != 0 or not result.exists():
        print(
            f"pandas child exited with {child.exitcode} (1: MemoryError at the {memory_gib:g} GiB cap "
            "or another error, see above; -9: killed)",
            flush=True,
        )
        return None, 0
    elapsed, compared = result.read_text().split()
    return float(elapsed), int(compared)


def parse_size(text: str) -> int:
    units = {"k": 1_000, "m": 1_000_000}
    return int(float(text[:-1]) * units[text[-1].lower()]) if text[-1].lower() in units else int(text)


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def measure(size: str, workdir: Path, memory_gib: float) -> dict[str, object]:
    data_dir = workdir / f"rows-{size}"
    shutil.rmtree(data_dir, ignore_errors=True)
    started = time.perf_counter()
    runs = generate(data_dir, parse_size(size))
    generate_s = time.perf_counter() - started
    files = sum(1 for _ in (data_dir / "raw").rglob("*.parquet"))
    rows = runs * ROWS_PER_RUN
    print(f"[{size}] {runs} runs, {rows:,} rows, {files:,} files ({generate_s:.0f} s)", flush=True)

    loads = [_load()]
    full = dbt(["build", "--select", SELECTION, "--indirect-selection", INDIRECT], data_dir)
    loads.append(_load())
    print(f"[{size}] full dbt build {full.wall_s:.1f} s (load {loads[-1]})", flush=True)
    write_run(data_dir, runs)  # one more run lands
    incremental = dbt(["build", "--select", SELECTION, "--indirect-selection", INDIRECT], data_dir)
    loads.append(_load())
    print(f"[{size}] incremental dbt build {incremental.wall_s:.1f} s (load {loads[-1]})", flush=True)

    pandas_s, compared = pandas_in_child(data_dir, memory_gib)
    loads.append(_load())
    print(f"[{size}] pandas {'out of memory' if pandas_s is None else f'{pandas_s:.1f} s'}", flush=True)
    return {
        "loads": loads,
        "size": size,
        "rows": runs * ROWS_PER_RUN,
        "runs": runs,
        "files": files,
        "full": full,
        "incremental": incremental,
        "pandas_s": pandas_s,
        "compared": compared,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "1M", "10M"])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/culturewatch_dbt_scale"))
    parser.add_argument("--keep", action="store_true", help="keep the generated data dirs")
    parser.add_argument(
        "--pandas-memory-gib", type=float, default=16.0, help="address-space cap of the pandas child"
    )
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        rows.append(measure(size, args.workdir, args.pandas_memory_gib))
        if not args.keep:
            shutil.rmtree(args.workdir / f"rows-{size}", ignore_errors=True)
    machine = f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"\n{datetime.now(UTC):%Y-%m-%d}, {machine}, duckdb {duckdb.__version__}")
    print(
        f"selection: dbt build --select {SELECTION} --indirect-selection {INDIRECT} "
        "(its seeds, models, data and unit tests)\n"
    )
    print(
        "| raw rows | runs | files | full build (models / tests) | +1 run incremental (models / tests) "
        "| pandas, same 2 marts | pandas / full build | pandas / incremental |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        full, incremental = row["full"], row["incremental"]
        print(
            f"| {row['rows']:,} | {row['runs']} | {row['files']:,} "
            f"| {full.wall_s:.1f} s ({full.models_s:.1f} / {full.tests_s:.1f}) "
            f"| {incremental.wall_s:.1f} s ({incremental.models_s:.1f} / {incremental.tests_s:.1f}) "
            + (
                f"| {row['pandas_s']:.1f} s | {row['pandas_s'] / full.wall_s:.2f} "
                f"| {row['pandas_s'] / incremental.wall_s:.2f} |"
                if row["pandas_s"] is not None
                else f"| out of memory ({args.pandas_memory_gib:g} GiB cap) | - | - |"
            )
        )
    print("\nWhere the time went (execution time per node kind, summed over dbt's 2 threads):\n")
    for build in ("full", "incremental"):
        kinds = sorted({kind for row in rows for kind in row[build].parts})
        print(f"| {build} build | " + " | ".join(f"{row['rows']:,} rows" for row in rows) + " |")
        print("|---|" + "---|" * len(rows))
        for kind in kinds:
            times = " | ".join(f"{row[build].parts.get(kind, 0.0):.2f} s" for row in rows)
            print(f"| {kind} | {times} |")
        print()
    print(
        "Load average (1 / 5 / 15 min) before the full build, after it, after the incremental build, "
        "after pandas:"
    )
    for row in rows:
        print(f"  {row['size']}: " + "; ".join(row["loads"]))
    print(
        "\nEvery size: dbt's vsm_country_scores and deviation_ratio equal the pandas ones "
        f"({', '.join(str(row['compared']) for row in rows)} rows compared)."
    )


if __name__ == "__main__":
    main()
