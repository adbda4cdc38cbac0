"""What the transform DAG reports for each run: a per-country deviation-ratio table (task log)
and the headline numbers of each model version (task output, shown in the run's XCom tab). Read
from the marts; no metric is computed here."""

from __future__ import annotations

from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import connect_warehouse

SUMMARY_SQL = """
select
    dr.country,
    c.country_name,
    dr.setting,
    dr.deviation_ratio,
    dr.null_reason,
    dr.n_trials,
    dr.n_dimensions
from marts.deviation_ratio as dr
left join main.countries as c on c.country_code = dr.country
where dr.run_id = $run_id and dr.dimension = 'overall'
order by dr.setting, dr.deviation_ratio desc nulls last, dr.country
"""


HEADLINE_COLUMNS: tuple[str, ...] = (
    "mean_deviation_ratio_aligned",
    "mean_deviation_ratio_english",
    "mean_cas_unaware",
    "mean_cas_aware",
    "mean_cas_cross_culture",
    "mean_polarity_spearman_local",
    "mean_self_consistency_vsm",
    "parse_rate",
    "cost_usd",
)


def headline_numbers(paths: DataPaths) -> list[dict[str, object]]:
    """One entry per model version in marts.model_leaderboard with its non-null headline metrics,
    most recently probed first."""
    columns = ", ".join(HEADLINE_COLUMNS)
    with connect_warehouse(paths) as con:
        rows = con.execute(
            f"select model, model_version, n_runs, {columns} from marts.model_leaderboard "
            "order by last_probed_at desc nulls last, model, model_version"
        ).fetchall()
    summaries = []
    for model, version, n_runs, *values in rows:
        metrics = {
            name: value for name, value in zip(HEADLINE_COLUMNS, values, strict=True) if value is not None
        }
        summaries.append({"model": model, "model_version": version, "n_runs": n_runs, **metrics})
    return summaries


def run_ids(paths: DataPaths) -> list[str]:
    """Every run in the marts, oldest first."""
    with connect_warehouse(paths) as con:
        rows = con.execute(
            "select run_id from marts.vsm_country_scores group by run_id order by run_id"
        ).fetchall()
    return [row[0] for row in rows]


def deviation_ratio_table(paths: DataPaths, run_id: str) -> str:
    """Render the overall DR per country and setting as aligned text."""
    with connect_warehouse(paths) as con:
        rows = con.execute(SUMMARY_SQL, {"run_id": run_id}).fetchall()
        valid = con.execute(
            "select sum(n_valid), count(*) * 24 from marts.vsm_country_scores where run_id = $run_id",
            {"run_id": run_id},
        ).fetchone()
    header = f"{'country':<16}{'setting':<18}{'DR':>8}  {'trials':>6}  {'dims':>4}  note"
    lines = [f"run {run_id}", header, "-" * len(header)]
    for code, name, setting, ratio, reason, trials, dims in rows:
        shown = f"{ratio:8.3f}" if ratio is not None else f"{'null':>8}"
        lines.append(
            f"{(name or code):<16}{setting:<18}{shown}  {trials or 0:>6}  {dims or 0:>4}  {reason or ''}"
        )
    if valid and valid[1]:
        lines.append(f"valid item answers: {valid[0]}/{valid[1]}")
    return "\n".join(lines)
