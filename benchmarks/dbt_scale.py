"""Does the write–audit–publish build scale? Full build and one added run at 100k / 1M / 10M raw
rows, on a local store and on an S3-compatible object store.

For each store (`--store local s3`) and size, in one run: synthetic VSM 2013 raw data in the real
Arrow schema, written into the store as compaction leaves a complete run — one compacted file per
run and table (culturewatch.storage.parquet.write_compacted): the run's responses (full grid:
20 countries × 20 prompt languages × 24 items × 3 trials = 28,800 rows, answers uniform on 1..5,
2% `unparseable`, 0.5% `refusal`, sorted by the raw key) and its lifecycle events (a `started` and
a `completed` per prompt language). Then it measures what production runs, the write–audit–publish
build (culturewatch.transform.warehouse_build.WarehouseBuild: claim, copy of the builder's state,
raw manifest scan, `dbt build --select +vsm_country_scores +deviation_ratio +runs
--indirect-selection cautious`, marts audit, export of the readers' file and publication), each in
a fresh process as `culturewatch build` or the transform DAG runs it:

- the full build from nothing (no published build, no builder state),
- one more run lands, and the build again (incremental, from the builder's state),

and prints the time of each phase (where the time goes), dbt's own execution time per node kind
(run_results.json), the sizes of the builder's state and of the published file, and the load
average around each build (the machine may be shared). Each build's published marts are checked
(runs and VSM score rows). With `--store s3` the script starts SeaweedFS on 127.0.0.1
(tests/object_store.py, the object store of the tests): the raw files go to the bucket, dbt reads
them through DuckDB's httpfs and the build publishes to the bucket. `--pandas` also computes the
two VSM marts with a straightforward pandas program in a memory-capped child (local store only)
and checks dbt's numbers against it. Usage:

    python benchmarks/dbt_scale.py --sizes 100k 1M 10M --store local s3 [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import multiprocessing
import os
import platform
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # tests.object_store: the object store the tests start

from culturewatch.settings import DataPaths  # noqa: E402
from culturewatch.storage.parquet import write_compacted  # noqa: E402
from culturewatch.storage.schema import RAW_RESPONSE_KEY, RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA  # noqa: E402

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


def write_run(paths: DataPaths, run_index: int, seed: int = 0) -> int:
    """Write one full-grid run as compaction leaves it: one file of responses, one of lifecycle
    events, each listing in its footer the probe batches it replaced; returns its row count."""
    rng = np.random.default_rng([seed, run_index])
    run_id = f"run-{run_index:05d}"
    recorded = STARTED + timedelta(hours=run_index)
    slices, events = [], []
    for number, language in enumerate(LANGUAGES):
        table = _slice_table(run_index, language, rng)
        slices.append(table)
        tokens = pc_sum(table, "prompt_tokens"), pc_sum(table, "completion_tokens")
        for event, answered, sent, minutes in (
            ("started", 0, 0, number),
            ("completed", ROWS_PER_FILE, ROWS_PER_FILE, number + 1),
        ):
            events.append(
                {
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
            )
    responses = pa.concat_tables(slices).sort_by([(name, "ascending") for name in RAW_RESPONSE_KEY[1:]])
    write_compacted(
        paths.run_folder("responses", run_id),
        responses,
        [f"part-{language}.parquet" for language in LANGUAGES],
    )
    write_compacted(
        paths.run_folder("runs", run_id),
        pa.Table.from_pylist(events, schema=RUN_EVENT_SCHEMA),
        [f"{event}-{language}.parquet" for language in LANGUAGES for event in ("started", "completed")],
    )
    return ROWS_PER_RUN


def pc_sum(table: pa.Table, column: str) -> int:
    return int(pc.sum(table[column]).as_py() or 0)


def generate(paths: DataPaths, rows: int) -> int:
    """Full-grid runs until at least `rows` raw rows; returns the number of runs."""
    runs = max(1, math.ceil(rows / ROWS_PER_RUN))
    for run_index in range(runs):
        write_run(paths, run_index)
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

PHASES = ("claim", "state copy", "raw manifest", "dbt", "audit", "export", "publish")


@dataclass
class Build:
    """One write–audit–publish build, timed from its fresh process."""

    wall_s: float
    phases: dict[str, float]  # seconds per phase (WarehouseBuild.timings, plus the claim)
    parts: dict[str, float]  # dbt execution time per node kind, over both threads
    nodes: int
    runs: int
    score_rows: int
    state_mb: float
    published_mb: float
    load: str = ""
    loads: list[str] = field(default_factory=list)


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


def _build_in_this_process(root: str, store_url: str | None, result: str) -> None:
    """The child: one WarehouseBuild around dbt with the benchmark's selection; its timings as JSON."""
    from culturewatch.storage.warehouse import connect_warehouse, published_file
    from culturewatch.transform.dbt_build import run_dbt
    from culturewatch.transform.warehouse_build import WarehouseBuild

    paths = DataPaths(Path(root), store_url)
    started = time.perf_counter()
    build = WarehouseBuild(paths)
    with build:
        claimed = time.perf_counter() - started - sum(build.timings.values())
        os.environ.update(build.environment(), DBT_QUIET="true")  # this process runs one build only
        with build.timed("dbt"):
            outcome = run_dbt(["build", "--select", SELECTION, "--indirect-selection", INDIRECT])
        if not outcome.success:
            raise SystemExit("dbt build failed:\n" + "\n".join(outcome.failures))
        finished = build.finish()
    wall = time.perf_counter() - started
    target = paths.root / "dbt" / "target" / "run_results.json"
    run_results = json.loads(target.read_text())
    parts: dict[str, float] = {
        "(dbt start-up: import, parse)": build.timings["dbt"] - run_results["elapsed_time"]
    }
    for node in run_results["results"]:
        parts[_part(node["unique_id"])] = parts.get(_part(node["unique_id"]), 0.0) + node["execution_time"]
    _, local = published_file(paths)
    with connect_warehouse(paths) as connection:
        score_rows = connection.execute("select count(*) from marts.vsm_country_scores").fetchone()[0]
    Path(result).write_text(
        json.dumps(
            {
                "wall_s": wall,
                "phases": {"claim": claimed, **build.timings},
                "parts": parts,
                "nodes": outcome.nodes,
                "runs": finished.published.runs,
                "score_rows": score_rows,
                "state_mb": build.state.stat().st_size / 2**20,
                "published_mb": local.stat().st_size / 2**20,
            }
        )
    )


def timed_build(paths: DataPaths) -> Build:
    """One build in a fresh process (spawned: a new interpreter, as the CLI or an Airflow task)."""
    result = paths.root / "build-result.json"
    result.unlink(missing_ok=True)
    before = _load()
    child = multiprocessing.get_context("spawn").Process(
        target=_build_in_this_process, args=(str(paths.root), paths.store_url, str(result))
    )
    child.start()
    child.join()
    if child.exitcode != 0 or not result.exists():
        raise SystemExit(f"the build process exited with {child.exitcode} (see above)")
    return Build(**json.loads(result.read_text()), loads=[before, _load()])


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


def measure(store: str, size: str, workdir: Path, store_url: str | None, args) -> dict[str, object]:
    """Generate `size` rows into the store, then the full build and the build after one more run."""
    root = workdir / f"{store}-{size}" / "builder"
    shutil.rmtree(root.parent, ignore_errors=True)
    paths = DataPaths(root, store_url)
    started = time.perf_counter()
    runs = generate(paths, parse_size(size))
    generate_s = time.perf_counter() - started
    files = len(paths.store.list_files("raw", ".parquet"))
    rows = runs * ROWS_PER_RUN
    print(
        f"[{store} {size}] {runs} runs, {rows:,} rows, {files:,} files in {paths.store.url} "
        f"({generate_s:.0f} s)"
    )

    expected_scores = ROWS_PER_RUN // len(ITEMS)  # one score row per pass (country, language, trial)
    full = timed_build(paths)
    assert (full.runs, full.score_rows) == (runs, runs * expected_scores), (full.runs, full.score_rows)
    print(f"[{store} {size}] full build {full.wall_s:.1f} s: {_phases_line(full)} (load {full.loads[-1]})")
    write_run(paths, runs)  # one more run lands
    incremental = timed_build(paths)
    assert (incremental.runs, incremental.score_rows) == (runs + 1, (runs + 1) * expected_scores)
    print(
        f"[{store} {size}] +1 run {incremental.wall_s:.1f} s: {_phases_line(incremental)} "
        f"(load {incremental.loads[-1]})",
        flush=True,
    )
    pandas_s, compared = None, 0
    if args.pandas and store == "local":
        pandas_s, compared = pandas_in_child(root, args.pandas_memory_gib)
        print(f"[{store} {size}] pandas {'out of memory' if pandas_s is None else f'{pandas_s:.1f} s'}")
    if not args.keep:
        shutil.rmtree(root.parent, ignore_errors=True)
    return {
        "store": store,
        "size": size,
        "rows": rows,
        "runs": runs,
        "files": files,
        "full": full,
        "incremental": incremental,
        "pandas_s": pandas_s,
        "compared": compared,
    }


def _phases_line(build: Build) -> str:
    return ", ".join(f"{phase} {build.phases.get(phase, 0.0):.1f} s" for phase in PHASES)


def _print_tables(results: list[dict[str, object]]) -> None:
    print(
        "\n| store | raw rows | runs | files | full build | +1 run (incremental) "
        "| builder state | published file |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in results:
        full, incremental = row["full"], row["incremental"]
        print(
            f"| {row['store']} | {row['rows']:,} | {row['runs']} | {row['files']:,} | {full.wall_s:.1f} s "
            f"| {incremental.wall_s:.1f} s | {incremental.state_mb:.0f} MB "
            f"| {incremental.published_mb:.1f} MB |"
        )
    for kind in ("full", "incremental"):
        print(f"\nWhere the time goes, {kind} build (seconds per phase; 'other': the rest of the build):\n")
        print("| phase | " + " | ".join(f"{row['store']} {row['rows']:,}" for row in results) + " |")
        print("|---|" + "---|" * len(results))
        for phase in (*PHASES, "other"):
            cells = []
            for row in results:
                build = row[kind]
                value = (
                    build.wall_s - sum(build.phases.values())
                    if phase == "other"
                    else build.phases.get(phase, 0.0)
                )
                cells.append(f"{value:.1f}")
            print(f"| {phase} | " + " | ".join(cells) + " |")
        print("| **total** | " + " | ".join(f"**{row[kind].wall_s:.1f}**" for row in results) + " |")
    for kind in ("full", "incremental"):
        print(f"\ndbt's execution time per node kind, {kind} build (summed over dbt's 2 threads):\n")
        kinds = sorted({part for row in results for part in row[kind].parts})
        print("| node kind | " + " | ".join(f"{row['store']} {row['rows']:,}" for row in results) + " |")
        print("|---|" + "---|" * len(results))
        for part in kinds:
            print(
                f"| {part} | " + " | ".join(f"{row[kind].parts.get(part, 0.0):.1f}" for row in results) + " |"
            )
    print("\nLoad average (1 / 5 / 15 min) before and after each build (full; +1 run):")
    for row in results:
        print(
            f"  {row['store']} {row['size']}: "
            + "; ".join(" -> ".join(row[k].loads) for k in ("full", "incremental"))
        )
    checked = [row for row in results if row["pandas_s"] is not None]
    for row in checked:
        print(
            f"pandas, same 2 marts, {row['rows']:,} rows: {row['pandas_s']:.1f} s; dbt's marts equal "
            f"({row['compared']} rows compared)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "1M", "10M"])
    parser.add_argument("--store", nargs="+", choices=["local", "s3"], default=["local", "s3"])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/culturewatch_dbt_scale"))
    parser.add_argument("--keep", action="store_true", help="keep the generated data dirs")
    parser.add_argument("--pandas", action="store_true", help="also time the pandas marts (local store)")
    parser.add_argument(
        "--pandas-memory-gib", type=float, default=16.0, help="address-space cap of the pandas child"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    server = None
    try:
        for store in args.store:
            if store == "s3" and server is None:
                from tests.object_store import SeaweedFS

                server = SeaweedFS(args.workdir / "seaweedfs").start()
                os.environ.update(server.env())  # the build processes inherit them
                print(f"SeaweedFS S3 on {server.endpoint}", flush=True)
            for size in args.sizes:
                store_url = server.store_url(f"rows-{size}-{uuid.uuid4().hex[:6]}") if store == "s3" else None
                results.append(measure(store, size, args.workdir, store_url, args))
    finally:
        if server is not None:
            server.stop()
            leftovers = server.leftovers()
            if leftovers:
                print(f"weed processes left: {leftovers}", file=sys.stderr)
            if not args.keep:
                shutil.rmtree(server.root, ignore_errors=True)
    machine = f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    import dbt.version

    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine}, duckdb {duckdb.__version__}, "
        f"dbt-core {dbt.version.__version__}, pyarrow {pa.__version__}"
    )
    print(
        f"build: WarehouseBuild + dbt build --select {SELECTION} --indirect-selection {INDIRECT}, "
        "each in a fresh process"
    )
    _print_tables(results)


if __name__ == "__main__":
    main()
