"""What the Alignment view shows, read from the marts only (one short read-only connection)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from culturewatch.alerts.regressions import REGRESSION_COLUMNS, RegressionRow
from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import connect_warehouse

DIMENSIONS = ("pdi", "idv", "mas", "uai", "lto", "ivr")
# The slice every chart reads: the paper's default prompt (classification, persona, base wording).
STYLE, STRATEGY, VARIANT = "classification", "aware", "base"
# model_leaderboard columns charted over versions: (column, label, value range or None).
HEADLINES: tuple[tuple[str, str, tuple[float, float] | None], ...] = (
    ("mean_deviation_ratio_aligned", "Deviation ratio, aligned (higher is better)", None),
    ("mean_deviation_ratio_english", "Deviation ratio, English prompts (higher is better)", None),
    ("mean_cas_aware", "Cultural alignment score, persona (0-100)", (0.0, 100.0)),
    ("mean_polarity_spearman_local", "Value polarity Spearman vs local (-1..1)", (-1.0, 1.0)),
    ("mean_self_consistency_vsm", "Self-consistency, VSM (Pearson)", (-1.0, 1.0)),
    ("parse_rate", "Parse rate (share of answers parsed)", (0.0, 1.0)),
)
MARTS = (
    "model_leaderboard",
    "runs",
    "vsm_country_scores",
    "deviation_ratio",
    "alignment_history",
    "alignment_regressions",
)


class WarehouseUnavailable(Exception):
    """No warehouse yet, or dbt holds it for writing right now."""


@dataclass(frozen=True)
class HeadlineSeries:
    column: str
    label: str
    value_range: tuple[float, float] | None
    points: list[tuple[str, float | None]]  # (model_version, value), versions in probe order


@dataclass(frozen=True)
class RankingRow:
    country: str
    deviation_ratio: float | None
    n_trials: int | None
    n_dimensions: int | None
    null_reason: str | None


@dataclass(frozen=True)
class RunRow:
    run_id: str
    model_version: str
    instrument: str | None
    status: str | None
    status_reason: str | None
    started_at: datetime | None
    finished_at: datetime | None
    cells_planned: int | None
    cells_answered: int | None
    n_parse_ok: int
    rows_on_disk: int


@dataclass
class Dashboard:
    """Everything on the page for one model (and one version of it for the per-version panels)."""

    warehouse: str
    models: list[str] = field(default_factory=list)
    model: str | None = None
    versions: list[str] = field(default_factory=list)
    version: str | None = None
    version_run_id: str | None = None
    settings: list[str] = field(default_factory=list)
    setting: str | None = None
    missing_marts: list[str] = field(default_factory=list)
    headlines: list[HeadlineSeries] = field(default_factory=list)
    heatmap: dict[str, dict[str, float | None]] = field(default_factory=dict)  # country -> dim -> score
    ranking: list[RankingRow] = field(default_factory=list)
    regressions: list[RegressionRow] | None = None  # None: the mart is absent
    runs: list[RunRow] = field(default_factory=list)


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[object]) -> list[dict]:
    cursor = connection.execute(sql, parameters)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _present_marts(connection: duckdb.DuckDBPyConnection) -> set[str]:
    found = connection.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    ).fetchall()
    return {name for (name,) in found}


def load_dashboard(
    paths: DataPaths, model: str | None = None, version: str | None = None, setting: str | None = None
) -> Dashboard:
    """Read the view's data; unknown selections fall back to the latest model/version/setting."""
    if not paths.warehouse.exists():
        raise WarehouseUnavailable(f"no warehouse at {paths.warehouse} yet: the transform DAG builds it")
    try:
        connection = connect_warehouse(paths)
    except duckdb.IOException as error:  # another process (dbt) holds the write lock
        raise WarehouseUnavailable(f"the warehouse is being rebuilt right now ({error})") from error
    try:
        return _load(connection, Dashboard(str(paths.warehouse)), model, version, setting)
    finally:
        connection.close()


def _load(
    connection: duckdb.DuckDBPyConnection,
    view: Dashboard,
    model: str | None,
    version: str | None,
    setting: str | None,
) -> Dashboard:
    present = _present_marts(connection)
    view.missing_marts = [mart for mart in MARTS if mart not in present]
    if "model_leaderboard" not in present:
        return view
    leaderboard = _rows(
        connection,
        "select * from marts.model_leaderboard order by model, first_probed_at nulls last, model_version",
        [],
    )
    view.models = sorted({row["model"] for row in leaderboard})
    if not view.models:
        return view
    never = datetime.min.replace(tzinfo=UTC)
    latest = max(leaderboard, key=lambda row: row["last_probed_at"] or never)
    view.model = model if model in view.models else latest["model"]
    own = [row for row in leaderboard if row["model"] == view.model]
    view.versions = [row["model_version"] for row in own]
    view.version = version if version in view.versions else view.versions[-1]
    view.headlines = [
        HeadlineSeries(
            column, label, value_range, [(row["model_version"], _number(row[column])) for row in own]
        )
        for column, label, value_range in HEADLINES
        if column in own[0] and any(_number(row[column]) is not None for row in own)
    ]
    if "runs" in present:
        view.runs = [
            RunRow(**{name: row[name] for name in RunRow.__dataclass_fields__})
            for row in _rows(
                connection,
                "select * from marts.runs where model = ? order by started_at desc nulls last, run_id",
                [view.model],
            )
        ]
    _per_version(connection, view, present, setting)
    if "alignment_regressions" in present:
        view.regressions = _open_regressions(connection, view)
    return view


def _per_version(
    connection: duckdb.DuckDBPyConnection, view: Dashboard, present: set[str], setting: str | None
) -> None:
    """Heatmap and ranking of the chosen version's latest VSM run that has scores."""
    if "vsm_country_scores" not in present:
        return
    latest = connection.execute(
        """
        select scores.run_id
        from marts.vsm_country_scores as scores
        left join marts.runs as runs using (run_id)
        where scores.model = ? and scores.model_version = ?
        group by scores.run_id
        order by max(runs.started_at) desc nulls last, scores.run_id desc
        limit 1
        """
        if "runs" in present
        else """
        select run_id from marts.vsm_country_scores where model = ? and model_version = ?
        group by run_id order by run_id desc limit 1
        """,
        [view.model, view.version],
    ).fetchone()
    if latest is None:
        return
    view.version_run_id = latest[0]
    means = ", ".join(f"avg({dim}) as {dim}" for dim in DIMENSIONS)
    for row in _rows(
        connection,
        f"""
        select country, {means}
        from marts.vsm_country_scores
        where run_id = ? and style = ? and strategy = ? and variant = ? and country is not null
        group by country order by country
        """,
        [view.version_run_id, STYLE, STRATEGY, VARIANT],
    ):
        view.heatmap[row["country"]] = {dim: _number(row[dim]) for dim in DIMENSIONS}
    if "deviation_ratio" not in present:
        return
    countries = dict(
        connection.execute(
            "select setting, count(distinct country) from marts.deviation_ratio where run_id = ? "
            "group by setting order by setting",
            [view.version_run_id],
        ).fetchall()
    )
    view.settings = sorted(countries)
    if not view.settings:
        return
    # default: the setting that covers the most countries (the paper's `aligned` on ties)
    order = {"aligned": 0, "english": 1}
    default = min(view.settings, key=lambda name: (-countries[name], order.get(name, 2), name))
    view.setting = setting if setting in view.settings else default
    view.ranking = [
        RankingRow(
            row["country"],
            _number(row["deviation_ratio"]),
            row["n_trials"],
            row["n_dimensions"],
            row["null_reason"],
        )
        for row in _rows(
            connection,
            """
            select country, deviation_ratio, n_trials, n_dimensions, null_reason
            from marts.deviation_ratio
            where run_id = ? and setting = ? and dimension = 'overall'
              and style = ? and strategy = ? and variant = ?
            order by deviation_ratio desc nulls last, country
            """,
            [view.version_run_id, view.setting, STYLE, STRATEGY, VARIANT],
        )
    ]


def _open_regressions(connection: duckdb.DuckDBPyConnection, view: Dashboard) -> list[RegressionRow]:
    """Comparable regressions of the model's latest compared version (not superseded by a newer one)."""
    rows = _rows(
        connection,
        """
        with latest as (
            select max(detected_at) as detected_at from marts.alignment_regressions
            where model = ? and is_comparable
        )
        select regressions.*
        from marts.alignment_regressions as regressions, latest
        where regressions.model = ? and regressions.is_comparable
          and regressions.direction = 'regression'
          and regressions.version = (
              select version from marts.alignment_regressions
              where model = ? and is_comparable and detected_at = latest.detected_at limit 1
          )
        order by regressions.difference nulls last, regressions.metric, regressions.country nulls first
        """,
        [view.model, view.model, view.model],
    )
    return [RegressionRow(**{name: row[name] for name in REGRESSION_COLUMNS}) for row in rows]
