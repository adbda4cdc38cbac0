"""Run dbt (dbt-duckdb) in-process; the environment (which database, which data dir) is the
caller's: culturewatch.transform.warehouse_build sets it for a write–audit–publish build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from culturewatch.settings import DBT_PROJECT_DIR


@dataclass(frozen=True)
class DbtResult:
    command: str
    success: bool
    nodes: int
    failures: list[str]


def run_dbt(args: Sequence[str]) -> DbtResult:
    """Invoke dbt in-process (dbtRunner) on the project; failures name each failing node."""
    from dbt.cli.main import dbtRunner

    outcome = dbtRunner().invoke(
        [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    )
    results = getattr(outcome.result, "results", None) or []
    failures = [
        f"{result.node.unique_id}: {result.status} {result.message or ''}".strip()
        for result in results
        if str(result.status) in {"error", "fail", "runtime error"}
    ]
    if outcome.exception is not None:
        failures.append(f"dbt raised {type(outcome.exception).__name__}: {outcome.exception}")
    return DbtResult(" ".join(args), outcome.success, len(results), failures)
