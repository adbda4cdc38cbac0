"""Does a change to the dbt project change any number? The marts of the same raw data, built with
the dbt project of a base commit and with this checkout's, side by side in one run.

For each raw folder given (a data dir's `raw/`: responses, runs, judgements, versions), in one run:
a `dbt build` of the whole project (the development build of tests/dbt/raw_fixture.py: raw manifest
scan, then dbt in-process, no unit tests) into a fresh warehouse, once with the base commit's code
and project (a temporary `git worktree`) and once with this checkout's, each in a process of its
own. Then every table of every schema of the two warehouses is compared, row for row (rows sorted
by their values): identical to the bit, or the largest relative difference of each float column.
Columns that name where the data dir was (`source_file`, `uri`) or when it was loaded
(`loaded_at`) differ by construction and are left out. A column the change added is listed; a
column or a row the change removed is a difference.

Floating-point sums depend on their order, so a refactor that keeps every formula can still move
the last bit: the verdict is "unchanged" when every float lies within --tolerance (relative; values
within 1e-9 of 0 compared absolutely) and everything else is equal. Usage:

    python benchmarks/marts_unchanged.py --base REV RAW_DIR [RAW_DIR ...] [--tolerance 1e-12]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LOCATION_COLUMNS = {"source_file", "uri", "loaded_at"}
NEAR_ZERO = 1e-9


def build(raw: Path, out: Path) -> None:
    """In the process of one side (PYTHONPATH names its checkout): build, then dump every table."""
    import duckdb

    from tests.dbt.raw_fixture import dbt

    work = Path(tempfile.mkdtemp(prefix="marts-unchanged-"))
    try:
        shutil.copytree(raw, work / "data" / "raw")
        dbt(["build"], work / "data", work / "dbt")
        out.mkdir(parents=True)
        with duckdb.connect(str(work / "data" / "warehouse.duckdb"), read_only=True) as con:
            tables = con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema <> 'information_schema'"
            ).fetchall()
            for schema, table in tables:
                target = out / f"{schema}.{table}.parquet"
                con.execute(f'copy (select * from "{schema}"."{table}") to \'{target}\' (format parquet)')
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _build_side(root: Path, raw: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'include'}"}
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--build", str(raw), str(out)],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"the build with {root} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def _sorted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    floats = [c for c in columns if frame[c].dtype.kind == "f"]
    keys = frame[columns].astype(str)
    for column in floats:  # sort floats by a rounded value, so that a last-bit change keeps the order
        keys[column] = frame[column].map(lambda v: "" if pd.isna(v) else f"{v:.9g}")
    order = keys.sort_values([c for c in columns if c not in floats] + floats).index
    return frame.loc[order].reset_index(drop=True)


def compare_table(before: pd.DataFrame, after: pd.DataFrame) -> tuple[list[str], float, list[str]]:
    """(differences, the largest relative float difference, columns added)."""
    added = sorted(set(after.columns) - set(before.columns))
    removed = sorted(set(before.columns) - set(after.columns))
    differences = [f"column removed: {column}" for column in removed]
    if len(before) != len(after):
        return [*differences, f"rows: {len(before)} before, {len(after)} after"], 0.0, added
    columns = [c for c in before.columns if c in after.columns and c not in LOCATION_COLUMNS]
    before, after = _sorted(before, columns), _sorted(after, columns)
    worst = 0.0
    for column in columns:
        x, y = before[column], after[column]
        if x.dtype.kind in "fiu" and y.dtype.kind in "fiu":
            u, v = x.to_numpy(float), y.to_numpy(float)
            if not np.array_equal(np.isnan(u), np.isnan(v)):
                differences.append(f"{column}: null in one build, a number in the other")
                continue
            known = ~np.isnan(u)
            u, v = u[known], v[known]
            scale = np.maximum(np.abs(u), np.abs(v))
            difference = np.abs(u - v)
            # near 0 a relative difference means nothing (1e-16 against 0): compared absolutely
            relative = difference / np.where(scale < NEAR_ZERO, 1.0, scale)
            worst = max(worst, float(relative.max(initial=0.0)))
        elif not x.astype(str).equals(y.astype(str)):
            differences.append(f"{column}: values differ")
    return differences, worst, added


def compare(before_dir: Path, after_dir: Path, tolerance: float) -> bool:
    names = sorted(
        {p.name for p in before_dir.glob("*.parquet")} | {p.name for p in after_dir.glob("*.parquet")}
    )
    unchanged, worst_overall, identical = True, 0.0, 0
    for name in names:
        table = name.removesuffix(".parquet")
        if not (before_dir / name).exists() or not (after_dir / name).exists():
            side = "after" if (after_dir / name).exists() else "before"
            print(f"  {table}: only {side}")
            unchanged = unchanged and side == "after"
            continue
        differences, worst, added = compare_table(
            pd.read_parquet(before_dir / name), pd.read_parquet(after_dir / name)
        )
        if worst > tolerance:
            differences.append(f"largest relative difference {worst:.2e} > {tolerance:.0e}")
        worst_overall = max(worst_overall, worst)
        identical += not differences and worst == 0.0
        if differences or added or worst:
            note = "; ".join(differences + ([f"added: {', '.join(added)}"] if added else []))
            print(f"  {table}: largest relative difference {worst:.2e}" + (f"; {note}" if note else ""))
        unchanged = unchanged and not differences
    print(
        f"  {len(names)} tables: {identical} identical to the bit, largest relative difference "
        f"{worst_overall:.2e}: {'UNCHANGED' if unchanged else 'CHANGED'} (tolerance {tolerance:.0e})"
    )
    return unchanged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="the commit to compare with (e.g. HEAD~3, a tag)")
    parser.add_argument("--tolerance", type=float, default=1e-12)
    parser.add_argument("--build", nargs=2, metavar=("RAW", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("raw", nargs="*", type=Path, help="raw folders (a data dir's raw/)")
    args = parser.parse_args()
    if args.build:
        build(Path(args.build[0]), Path(args.build[1]))
        return 0
    if not args.base or not args.raw:
        parser.error("--base and at least one raw folder are needed")
    for raw in args.raw:
        if not (raw / "responses").is_dir():
            parser.error(f"{raw}: not a raw folder (no responses/ in it)")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.uname().nodename}: base {args.base} vs this checkout "
          f"(HEAD {head.stdout.strip()} and its uncommitted changes)")  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix="marts-unchanged-"))
    base_root = scratch / "base"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(base_root), args.base], cwd=ROOT, check=True
    )
    try:
        results = []
        for index, raw in enumerate(args.raw):
            print(f"{raw}:")
            sides = {}
            for label, root in (("before", base_root), ("after", ROOT)):
                sides[label] = scratch / f"{index}-{label}"
                _build_side(root, raw.resolve(), sides[label])
            results.append(compare(sides["before"], sides["after"], args.tolerance))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base_root)], cwd=ROOT, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
