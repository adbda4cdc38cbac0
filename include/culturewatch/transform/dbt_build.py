"""Run dbt (dbt-duckdb) against the data dir's warehouse; the same call the CLI and DAGs make."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from culturewatch.errors import CulturewatchError
from culturewatch.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, DataPaths


@dataclass(frozen=True)
class DbtResult:
    command: str
    success: bool
    nodes: int
    failures: list[str]


def dbt_env(paths: DataPaths) -> dict[str, str]:
    """The environment dbt needs: the data dir, and logs/targets kept out of the source tree."""
    return {
        DATA_DIR_ENV: str(paths.root),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(paths.root / "dbt" / "target"),
        "DBT_LOG_PATH": str(paths.root / "dbt" / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(paths: DataPaths, args: Sequence[str]) -> DbtResult:
    """Invoke dbt in-process (dbtRunner) with the data dir's environment."""
    from dbt.cli.main import dbtRunner

    if not any(paths.raw_responses.glob("run_id=*/*.parquet")):
        raise CulturewatchError(
            f"no raw responses under {paths.raw_responses}: run `culturewatch probe` first "
            f"(or point {DATA_DIR_ENV} at a data dir that has them)"
        )
    previous = {key: os.environ.get(key) for key in dbt_env(paths)}
    os.environ.update(dbt_env(paths))
    try:
        outcome = dbtRunner().invoke(
            [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        )
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    results = getattr(outcome.result, "results", None) or []
    failures = [
        f"{result.node.unique_id}: {result.status} {result.message or ''}".strip()
        for result in results
        if str(result.status) in {"error", "fail", "runtime error"}
    ]
    if outcome.exception is not None:
        failures.append(f"dbt raised {type(outcome.exception).__name__}: {outcome.exception}")
    return DbtResult(" ".join(args), outcome.success, len(results), failures)


def build_marts(paths: DataPaths, select: str | None = None) -> DbtResult:
    """`dbt build` (seeds, models, tests) of all marts over the raw data in `paths`."""
    args = ["build"] + (["--select", select] if select else [])
    result = run_dbt(paths, args)
    if not result.success:
        raise CulturewatchError("dbt build failed:\n  " + "\n  ".join(result.failures or ["see dbt logs"]))
    return result
