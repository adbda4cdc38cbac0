"""Headline numbers of probe runs from the raw data (what the probe DAG shows as its output):
cells answered of planned, parse rate, tokens, cost; for a failed slice, its endpoint and why.

Read from raw, not from marts.runs: the probe DAG reports before any dbt build. The numbers are
the mart's definitions (parse rate = `marts.runs.parse_rate`; tests/dbt/test_runs_mart.py keeps
the two equal)."""

from __future__ import annotations

from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import parquet_files
from culturewatch.storage.raw_runs import LATEST_SLICE_EVENT


def run_summary(paths: DataPaths, run_ids: list[str]) -> list[dict[str, object]]:
    """One dict per run: model, version, status, cells, parse rate, tokens, cost, failures."""
    store = paths.store
    event_files = [file for run_id in run_ids for file in parquet_files(paths.run_folder("runs", run_id))]
    if not event_files:
        return []
    response_files = [file for run_id in run_ids for file in parquet_files(paths.run_dir(run_id))]
    with store.duckdb() as con:
        con.execute("create temp table wanted as select unnest(?::varchar[]) as run_id", [run_ids])
        slices = con.execute(
            f"""
            with events as (
                select * from {store.read_parquet_sql(event_files)}
                where run_id in (select run_id from wanted)
            )
            select run_id, model, model_version, base_url, prompt_language, event, cells_planned,
                   cells_answered, message,
                   sum(case when event = 'completed' then prompt_tokens + completion_tokens end)
                       over (partition by run_id) as tokens,
                   sum(case when event = 'completed' then cost_usd end) over (partition by run_id) as cost
            from events
            qualify {LATEST_SLICE_EVENT}
            order by run_id, prompt_language
            """
        ).fetchall()
        parsed = (
            dict(
                con.execute(
                    f"""
                    select run_id, avg(case when parse_status = 'ok' then 1.0 else 0.0 end)
                    from {store.read_parquet_sql(response_files)}
                    where run_id in (select run_id from wanted)
                    group by run_id
                    """
                ).fetchall()
            )
            if response_files
            else {}
        )
    runs: dict[str, dict[str, object]] = {}
    for run_id, model, version, base_url, language, event, planned, answered, message, tokens, cost in slices:
        run = runs.setdefault(
            run_id,
            {
                "run_id": run_id,
                "model": model,
                "model_version": version,
                "cells_planned": 0,
                "cells_answered": 0,
                "tokens": int(tokens or 0),
                "cost_usd": cost,
                "parse_ok_share": parsed.get(run_id),
                "failed": [],
                "running": [],
            },
        )
        run["cells_planned"] += planned  # type: ignore[operator]
        run["cells_answered"] += answered  # type: ignore[operator]
        if event == "failed":
            run["failed"].append({"prompt_language": language, "endpoint": base_url, "why": message})  # type: ignore[union-attr]
        elif event == "started":
            run["running"].append(language)  # type: ignore[union-attr]
    for run in runs.values():
        run["status"] = "failed" if run["failed"] else "running" if run["running"] else "complete"
    return list(runs.values())


def format_summary(runs: list[dict[str, object]]) -> str:
    lines = []
    for run in runs:
        share = run["parse_ok_share"]
        cost = run["cost_usd"]
        lines.append(
            f"{run['model']}@{run['model_version']} ({run['run_id']}): {run['status']}, "
            f"{run['cells_answered']}/{run['cells_planned']} cells, "
            f"parsed ok {'n/a' if share is None else f'{share:.0%}'}, {run['tokens']} tokens, "
            f"cost {'n/a' if cost is None else f'${cost:.4f}'}"
        )
        for failure in run["failed"]:  # type: ignore[attr-defined]
            lines.append(
                f"  FAILED [{failure['prompt_language']}] at {failure['endpoint']}: {failure['why']}"
            )
    return "\n".join(lines)
