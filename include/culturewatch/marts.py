"""The read side of the published marts: the constants that name their columns, the catalog
questions every reader asks (which relations and columns are there), and the typed questions
the small readers ask of one mart (a run's rows, a run's headline metrics, a version's runs, the
leaderboard's headline numbers, the regression rows).

Every value read here is a mart's own: the metrics are defined once, in dbt. The dashboard and the
report keep their own page-sized queries, but read their constants and catalog answers here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Final, NamedTuple

from culturewatch.config.metrics import catalog
from culturewatch.errors import CulturewatchError
from culturewatch.settings import DataPaths

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

# The score columns of marts.vsm_country_scores and the `dimension` values of marts.deviation_ratio
# (the marts' documented columns), in the order of the VSM 2013 manual.
VSM_DIMENSIONS: Final[tuple[str, ...]] = ("pdi", "idv", "mas", "uai", "lto", "ivr")

# marts.model_leaderboard columns a version's summary carries beside the headline metrics of
# config/metrics.yaml (the one list of headlines): the other CAS strategies and the cost.
LEADERBOARD_SUMMARY_EXTRAS: Final[tuple[str, ...]] = (
    "mean_cas_unaware",
    "mean_cas_cross_culture",
    "cost_usd",
)

REGRESSIONS_TABLE: Final = "marts.alignment_regressions"


class PromptSlice(NamedTuple):
    """The prompt settings a VSM mart row is keyed by besides run, country and language."""

    style: str
    strategy: str
    variant: str


DEFAULT_SLICE: Final = PromptSlice("classification", "aware", "base")
"""The slice the default charts and tables read: the paper's default prompt (classification,
persona, base wording)."""


def headline_columns() -> tuple[str, ...]:
    """The marts.model_leaderboard columns of the headline metrics (config/metrics.yaml)."""
    return tuple(headline.column for headline in catalog().headlines)


def leaderboard_summary_columns() -> tuple[str, ...]:
    """The headline columns, then the extras a version's summary carries."""
    headlines = headline_columns()
    return headlines + tuple(column for column in LEADERBOARD_SUMMARY_EXTRAS if column not in headlines)


# --- catalog -------------------------------------------------------------------------------------


def present_relations(connection: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """`schema.table` of every table the connection reads."""
    found = connection.execute("select table_schema || '.' || table_name from information_schema.tables")
    return frozenset(name for (name,) in found.fetchall())


def columns_of(connection: duckdb.DuckDBPyConnection, relation: str) -> frozenset[str]:
    """The columns of `schema.table` (empty when it does not exist)."""
    schema, name = relation.split(".")
    found = connection.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name],
    )
    return frozenset(column for (column,) in found.fetchall())


def read_mart(connection: duckdb.DuckDBPyConnection, mart: str, run_id: str) -> pd.DataFrame | None:
    """The run's rows of `marts.<mart>` in the warehouse `connection` reads (the build being
    audited, or a published one); None when the mart does not exist there."""
    if f"marts.{mart}" not in present_relations(connection):
        return None
    return connection.execute(f'select * from marts."{mart}" where run_id = ?', [run_id]).df()


# --- runs ----------------------------------------------------------------------------------------


def run_ids(paths: DataPaths) -> list[str]:
    """Every run in the marts, oldest first."""
    from culturewatch.storage.warehouse import connect_warehouse

    with connect_warehouse(paths) as con:
        rows = con.execute(
            "select run_id from marts.vsm_country_scores group by run_id order by run_id"
        ).fetchall()
    return [row[0] for row in rows]


def version_runs(paths: DataPaths, model: str, version: str, instrument: str) -> list[tuple[str, str]]:
    """(run_id, status) of a model version's runs of `instrument` in marts.runs, newest first."""
    from culturewatch.storage.warehouse import connect_warehouse

    with connect_warehouse(paths) as connection:
        rows = connection.execute(
            "select run_id, status from marts.runs where model = ? and model_version = ? "
            "and instrument = ? order by finished_at desc nulls last, started_at desc, run_id",
            [model, version, instrument],
        ).fetchall()
    return [(str(run_id), str(status)) for run_id, status in rows]


# --- leaderboard ---------------------------------------------------------------------------------


def leaderboard_summaries(paths: DataPaths) -> list[dict[str, object]]:
    """One entry per model version in marts.model_leaderboard with its non-null headline metrics
    (and the summary extras), most recently probed first."""
    from culturewatch.storage.warehouse import connect_warehouse

    names = leaderboard_summary_columns()
    with connect_warehouse(paths) as con:
        rows = con.execute(
            f"select model, model_version, n_runs, {', '.join(names)} from marts.model_leaderboard "
            "order by last_probed_at desc nulls last, model, model_version"
        ).fetchall()
    summaries = []
    for model, version, n_runs, *values in rows:
        metrics = {name: value for name, value in zip(names, values, strict=True) if value is not None}
        summaries.append({"model": model, "model_version": version, "n_runs": n_runs, **metrics})
    return summaries


# --- a run's headline metrics --------------------------------------------------------------------

HISTORY_TABLE: Final = "marts.alignment_history"


@dataclass(frozen=True)
class RunMetric:
    """One headline metric of one run as marts.alignment_history has it: the run's mean (its
    `version_mean` row: the plain mean over the countries that count toward it, `n` of them) and
    each (country, prompt language) value; null values are left out."""

    mean: float | None = None
    n: int = 0
    cells: dict[tuple[str, str], float] = field(default_factory=dict)


def run_metrics(paths: DataPaths, run_id: str, metrics: Sequence[str]) -> dict[str, RunMetric]:
    """`metrics` (regression_thresholds.yaml names, e.g. `cas_aware`) of one run; a metric the
    mart has no row of is an empty RunMetric."""
    from culturewatch.storage.warehouse import connect_warehouse

    with connect_warehouse(paths) as connection:
        rows = connection.execute(
            f"select metric, scope, country, prompt_language, value, n from {HISTORY_TABLE} "
            "where run_id = ? and list_contains(?, metric) and value is not null",
            [run_id, list(metrics)],
        ).fetchall()
    means: dict[str, tuple[float, int]] = {}
    cells: dict[str, dict[tuple[str, str], float]] = {metric: {} for metric in metrics}
    for metric, scope, country, language, value, n in rows:
        if scope == "version_mean":
            means[metric] = (float(value), int(n))
        else:  # scope `country`
            cells[metric][(str(country), str(language))] = float(value)
    return {metric: RunMetric(*means.get(metric, (None, 0)), cells[metric]) for metric in metrics}


# --- regressions (grouped into regression events by alerts.events) -----------------------------


@dataclass(frozen=True)
class RegressionRow:
    """One row of marts.alignment_regressions: one metric of one version pair, per country and
    prompt language (both null: the version mean over the countries). `difference` < 0 is worse."""

    regression_id: str
    model: str
    previous_version: str
    version: str
    previous_run_id: str | None
    run_id: str | None
    metric: str
    country: str | None
    prompt_language: str | None
    value_before: float | None
    value_after: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    threshold: float | None
    alpha: float | None
    n_before: int | None
    n_after: int | None
    n_unit: str | None
    coverage_differs: bool
    is_unstable: bool
    direction: str
    is_comparable: bool
    not_comparable_reason: str | None
    detected_at: datetime

    @property
    def is_version_mean(self) -> bool:
        """The version-level row (all countries, all languages)."""
        return self.country is None and self.prompt_language is None


REGRESSION_COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(RegressionRow))


@dataclass(frozen=True)
class Regressions:
    """The rows to alert on, and the Airflow DAG run of every run they name (None: outside Airflow)."""

    rows: list[RegressionRow]
    dag_run_ids: dict[str, str | None]


def read_regressions(paths: DataPaths) -> Regressions | None:
    """Every comparable regression or improvement, oldest first; None when the warehouse or the
    mart does not exist yet. A mart missing a contract column is an error naming it."""
    from culturewatch.links import dag_run_ids
    from culturewatch.storage.warehouse import connect_warehouse, is_published

    if not is_published(paths):
        return None
    with connect_warehouse(paths) as con:
        present = columns_of(con, REGRESSIONS_TABLE)
        if not present:
            return None
        missing = [column for column in REGRESSION_COLUMNS if column not in present]
        if missing:
            raise CulturewatchError(
                f"{paths.warehouse}: {REGRESSIONS_TABLE} lacks contract column(s) {missing}"
            )
        rows = con.execute(
            f"select {', '.join(REGRESSION_COLUMNS)} from {REGRESSIONS_TABLE} "
            "where is_comparable and direction in ('regression', 'improvement') "
            "order by detected_at, regression_id"
        ).fetchall()
        found = [RegressionRow(*row) for row in rows]
        runs = dag_run_ids(con, [run for row in found for run in (row.run_id, row.previous_run_id)])
    return Regressions(found, runs)
