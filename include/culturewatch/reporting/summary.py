"""What the transform DAG reports for each run: a per-country deviation-ratio table (task log)
and the headline numbers of each model version (task output, shown in the run's XCom tab). Read
from the marts; no metric is computed here."""

from __future__ import annotations

from culturewatch.config.metrics import catalog, coverage_text
from culturewatch.marts import DEFAULT_SLICE, run_ids
from culturewatch.reporting.setting_notes import same_prompts_note
from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import connect_warehouse

SUMMARY_SQL = """
select
    dr.country,
    c.country_name,
    c.language_code,
    dr.setting,
    dr.deviation_ratio,
    dr.null_reason,
    dr.n_trials,
    dr.n_prompt_languages,
    dr.n_dimensions,
    dr.is_unstable,
    (
        select list(distinct s.prompt_language order by s.prompt_language)
        from marts.vsm_country_scores as s
        where s.run_id = dr.run_id and s.country = dr.country and s.style = dr.style
          and s.strategy = dr.strategy and s.variant = dr.variant
    ) as languages_asked
from marts.deviation_ratio as dr
left join reference.countries as c on c.country_code = dr.country
where dr.run_id = $run_id and dr.dimension = 'overall'
  and dr.style = $style and dr.strategy = $strategy and dr.variant = $variant
order by dr.setting, dr.deviation_ratio desc nulls last, dr.country
"""


def require_run(paths: DataPaths, run_id: str) -> None:
    """Raise UnknownRunError (naming the runs there are) unless the marts have `run_id`."""
    from culturewatch.reporting.report_data import UnknownRunError

    known = run_ids(paths)
    if run_id not in known:
        raise UnknownRunError(run_id, known, str(paths.warehouse))


def deviation_ratio_table(paths: DataPaths, run_id: str) -> str:
    """The overall DR per country and setting (classification, persona, base wording) as aligned
    text that says how to read it: the direction and meaning of the metric, what each value
    averages over, which values are unstable, and which settings read the same prompts."""
    info = catalog().info("deviation_ratio")
    with connect_warehouse(paths) as con:
        rows = con.execute(SUMMARY_SQL, {"run_id": run_id, **DEFAULT_SLICE._asdict()}).fetchall()
        valid = con.execute(
            "select sum(n_valid), sum(n_items_expected) from marts.vsm_country_scores where run_id = $run_id",
            {"run_id": run_id},
        ).fetchone()
        headlines = con.execute(
            "select * from marts.model_leaderboard where (model, model_version) in "
            "(select (model, model_version) from marts.vsm_country_scores where run_id = $run_id limit 1)",
            {"run_id": run_id},
        )
        names = [column[0] for column in headlines.description]
        version_row = dict(zip(names, headlines.fetchone() or [None] * len(names), strict=True))
    header = f"{'country':<16}{'setting':<18}{'DR':>8}  {'passes':>6}  {'dims':>4}  note"
    lines = [
        f"run {run_id}",
        f"deviation ratio (DR), {info.direction_text}: {info.meaning}",
        "passes = (prompt language, trial) pairs averaged; dims = Hofstede dimensions compared "
        "(fewer than 6: no ground truth, or a dimension unscored in some pass); "
        "* = unstable: its denominator is under 5 score points",
        header,
        "-" * len(header),
    ]
    for code, name, language, setting, ratio, reason, trials, _, dims, unstable, asked in rows:
        shown = f"{info.format(ratio):>8}" if ratio is not None else f"{'null':>8}"
        notes = [reason] if reason else []
        if unstable:
            notes.append("* unstable ratio")
        same = same_prompts_note(setting, language, asked or ())
        if same:
            notes.append(same)
        lines.append(
            f"{(name or code):<16}{setting:<18}{shown}{'*' if unstable else ' '} {trials or 0:>6}  "
            f"{dims or 0:>4}  {'; '.join(notes)}"
        )
    if valid and valid[1]:
        lines.append(f"valid item answers: {valid[0]}/{valid[1]}")
    if version_row.get("model") is not None:
        lines.append(
            f"headlines of {version_row['model']}@{version_row['model_version']} (marts.model_leaderboard, "
            "the version's latest run per instrument):"
        )
        lines += [f"  {line}" for line in headline_lines(version_row)]
    return "\n".join(lines)


def headline_lines(row: dict[str, object]) -> list[str]:
    """`Deviation ratio, English prompts: 0.747 over 2 countries (higher is better)` for each
    headline metric (config/metrics.yaml) the leaderboard row has a value for."""
    found = []
    for headline in catalog().headlines:
        value = row.get(headline.column)
        if value is None:
            continue
        info = catalog().info(headline.metric)
        n = row.get(headline.coverage.column)
        unstable = int(row.get(headline.unstable) or 0) if headline.unstable else 0
        flagged = f", {unstable} of them unstable" if unstable else ""
        found.append(
            f"{catalog().headline_label(headline)}: {info.format(value)} "  # type: ignore[arg-type]
            f"{coverage_text(n, headline.coverage.unit)}{flagged} ({info.direction_text})"  # type: ignore[arg-type]
        )
    return found
