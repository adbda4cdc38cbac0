"""Time the raw data-quality checkpoint on a full-grid run (issue 6).

Writes a synthetic full-grid VSM run (20 countries × 20 prompt languages × 24 items × 3 trials =
28,800 rows) the way the probe writes it (append-only Parquet batches of `--batch-size` rows
through storage.parquet.write_batch, the one raw schema), planned from a real config through the
probe's own planner, then times `validate_raw` (read every file, derive the frames, run the four
raw checkpoints from expectations/, build the Data Docs) and, separately, its parts. A second
pass corrupts the run (one language unparseable) and checks it is caught.

    python benchmarks/gx_validation.py [--data-dir DIR] [--batch-size 24] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from culturewatch.config.schema import ProbeConfig  # noqa: E402
from culturewatch.instruments.loader import load_instrument  # noqa: E402
from culturewatch.probing.probe_specs import build_specs  # noqa: E402
from culturewatch.quality.run_plan import RunPlan  # noqa: E402
from culturewatch.settings import data_paths  # noqa: E402
from culturewatch.storage.parquet import write_batch  # noqa: E402
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA  # noqa: E402
from tests.unit.quality_fixture import row_for  # noqa: E402

GRID = {"settings": ["full_grid"], "countries": "all", "trials": 3}


def write_full_grid(root: Path, batch_size: int, unparseable_language: str | None = None) -> tuple:
    paths = data_paths(root)
    config = ProbeConfig.model_validate(
        {
            "models": [{"name": "bench-model", "base_url": "http://127.0.0.1:1/v1", "version": "v1"}],
            "grid": GRID,
        }
    )
    specs = build_specs(config, load_instrument("vsm2013"), {"bench-model": "v1"})
    [plan] = RunPlan.from_specs(specs)
    rows = [
        row_for(specs[0], cell, None if cell.prompt_language == unparseable_language else 3.0)
        for cell in plan.cells
    ]
    for row in rows:
        row["model"] = "bench-model"
    for start in range(0, len(rows), batch_size):
        write_batch(paths.run_dir(plan.run_id), rows[start : start + batch_size], RAW_RESPONSE_SCHEMA)
    return paths, plan, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", help="where to write the synthetic run (default: a temporary dir)")
    parser.add_argument("--batch-size", type=int, default=24, help="rows per raw Parquet file (the probe's)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    root = Path(args.data_dir or tempfile.mkdtemp(prefix="gx-bench-"))
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    import great_expectations  # noqa: F401  (its import is timed on its own)

    import_s = time.perf_counter() - started
    from culturewatch.quality.frames import cells_frame, files_frame, rates_frame, read_raw_run, rows_frame
    from culturewatch.quality.gates import validate_raw

    paths, plan, n_rows = write_full_grid(root / "clean", args.batch_size)
    files = len(list(paths.run_dir(plan.run_id).glob("*.parquet")))
    print(
        f"full grid: {n_rows} rows in {files} files; python {platform.python_version()}, "
        f"{platform.machine()}, GX import {import_s:.2f} s"
    )

    totals, checkpoints, parts, docs = [], [], [], []
    for _ in range(args.repeat):
        began = time.perf_counter()
        raw = read_raw_run(paths, plan.run_id)
        rows = rows_frame(raw.table, plan)
        files_frame(raw.schemas), cells_frame(rows, plan), rates_frame(rows, plan)
        parts.append(time.perf_counter() - began)
        began = time.perf_counter()
        outcome = validate_raw(paths, plan)
        totals.append(time.perf_counter() - began)
        checkpoints.append(outcome.seconds)
        docs.append(outcome.docs_seconds)
        assert outcome.success, outcome.failures
    print(f"read files + derive frames: median {statistics.median(parts):.2f} s")
    print(
        f"validate_raw (read, frames, 4 checkpoints, Data Docs): median {statistics.median(totals):.2f} s "
        f"(min {min(totals):.2f}, max {max(totals):.2f}) over {args.repeat}; checkpoints + docs "
        f"{statistics.median(checkpoints):.2f} s, of which Data Docs {statistics.median(docs):.2f} s"
    )

    bad_paths, bad_plan, _ = write_full_grid(root / "corrupt", args.batch_size, unparseable_language="bn")
    began = time.perf_counter()
    bad = validate_raw(bad_paths, bad_plan)
    print(
        f"corrupted run (bn all unparseable): {time.perf_counter() - began:.2f} s, "
        f"failing {sorted(bad.failed_checks())}"
    )
    assert not bad.success and "raw_rates.parse_rate_at_threshold" in bad.failed_checks()
    if not args.data_dir:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
