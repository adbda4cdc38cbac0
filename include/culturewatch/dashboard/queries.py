"""What the Alignment view's model page shows, read from the published marts only (one short
read-only connection per request). The only arithmetic is presentation: means of a run's trials
for the heatmap (as the report), and the difference of two marts' values side by side when two
versions are compared that alignment_regressions does not pair (never a significance test)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from culturewatch.config.metrics import Headline, MetricInfo, catalog
from culturewatch.dashboard.charts import Point
from culturewatch.links import dag_run_ids
from culturewatch.marts import (
    DEFAULT_SLICE,
    REGRESSION_COLUMNS,
    VSM_DIMENSIONS,
    RegressionRow,
    columns_of,
    present_relations,
)
from culturewatch.reporting.setting_notes import same_prompts_note
from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import WarehouseNotPublished, published_file

# The slice every chart reads (marts.DEFAULT_SLICE).
STYLE, STRATEGY, VARIANT = DEFAULT_SLICE
MARTS = (
    "model_leaderboard",
    "runs",
    "vsm_country_scores",
    "deviation_ratio",
    "alignment_history",
    "alignment_regressions",
)
VERSION_FIELDS = (
    "instrument_version",
    "parser_version",
    "judge_version",
    "ground_truth_version",
    "normalisation",
)


class WarehouseUnavailable(Exception):
    """No warehouse has been published yet."""


@contextmanager
def published_connection(paths: DataPaths) -> Iterator[tuple[str, duckdb.DuckDBPyConnection]]:
    """(a label of the published build, a read-only connection to it), closed on leaving."""
    try:
        build, local = published_file(paths)
    except WarehouseNotPublished as missing:
        raise WarehouseUnavailable(f"{missing}") from missing
    connection = duckdb.connect(str(local), read_only=True)
    try:
        yield f"build {build.build_id} ({build.published_at})", connection
    finally:
        connection.close()


def rows(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[object] | None = None
) -> list[dict]:
    cursor = connection.execute(sql, parameters or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def number(value: object) -> float | None:
    if value is None:
        return None
    found = float(value)  # type: ignore[arg-type]
    return None if math.isnan(found) else found


@dataclass(frozen=True)
class HeadlineSeries:
    headline: Headline
    info: MetricInfo
    label: str
    points: list[Point]  # versions in probe order


@dataclass(frozen=True)
class RankingRow:
    country: str
    deviation_ratio: float | None
    numerator: float | None
    denominator: float | None
    n_trials: int | None
    n_prompt_languages: int | None
    n_dimensions: int | None
    null_reason: str | None
    is_unstable: bool
    note: str | None  # e.g. "same prompts as english, language_average (en only)"


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
    airflow_dag_run_id: str | None = None


@dataclass(frozen=True)
class ComparedRow:
    """One metric of one country (or a version mean) in two versions, side by side."""

    metric: str
    metric_kind: str | None
    country: str | None
    prompt_language: str | None
    before: float | None
    after: float | None
    before_reason: str | None
    after_reason: str | None
    n_before: int | None
    n_after: int | None
    n_unit: str | None
    unstable: bool
    compared: bool  # a difference is shown
    why_not: str | None  # why not, or what is flagged
    regression: RegressionRow | None  # the mart's test, when the versions are a consecutive pair

    @property
    def difference(self) -> float | None:
        if not self.compared or self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class Comparison:
    version: str
    compare: str
    runs: dict[str, tuple[str | None, str | None]]  # metric -> (compare's run, version's run)
    rows: list[ComparedRow]
    not_comparable: str | None  # the versions differ in what makes values comparable
    tested: bool  # alignment_regressions has this pair (consecutive comparable versions)


@dataclass
class Dashboard:
    """Everything on the model page for one model (and one version of it for the per-version panels)."""

    warehouse: str
    models: list[str] = field(default_factory=list)
    model: str | None = None
    versions: list[str] = field(default_factory=list)
    version: str | None = None
    compare: str | None = None
    version_run_id: str | None = None
    settings: list[str] = field(default_factory=list)
    setting: str | None = None
    missing_marts: list[str] = field(default_factory=list)
    headlines: list[HeadlineSeries] = field(default_factory=list)
    heatmap: dict[str, dict[str, tuple[float | None, float | None]]] = field(default_factory=dict)
    heatmap_trials: dict[str, int] = field(default_factory=dict)
    ranking: list[RankingRow] = field(default_factory=list)
    comparison: Comparison | None = None
    regressions: list[RegressionRow] | None = None  # None: the mart is absent
    runs: list[RunRow] = field(default_factory=list)
    dag_run_ids: dict[str, str | None] = field(default_factory=dict)


def load_dashboard(
    paths: DataPaths,
    model: str | None = None,
    version: str | None = None,
    setting: str | None = None,
    compare: str | None = None,
) -> Dashboard:
    """Read the model page from the published warehouse (never a build in progress: builds write
    other files); unknown selections fall back to the latest model/version/setting, and the
    version compared with defaults to the one before it."""
    with published_connection(paths) as (label, connection):
        return _load(connection, Dashboard(label), model, version, setting, compare)


def _load(
    connection: duckdb.DuckDBPyConnection,
    view: Dashboard,
    model: str | None,
    version: str | None,
    setting: str | None,
    compare: str | None,
) -> Dashboard:
    present = {name.split(".", 1)[1] for name in present_relations(connection) if name.startswith("marts.")}
    view.missing_marts = [mart for mart in MARTS if mart not in present]
    if "model_leaderboard" not in present:
        return view
    leaderboard = rows(
        connection,
        "select * from marts.model_leaderboard order by model, first_probed_at nulls last, model_version",
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
    position = view.versions.index(view.version)
    earlier = view.versions[position - 1] if position > 0 else None
    view.compare = compare if compare in view.versions and compare != view.version else earlier
    view.headlines = _headlines(own)
    if "runs" in present:
        run_columns = columns_of(connection, "marts.runs")
        wanted = [name for name in RunRow.__dataclass_fields__ if name in run_columns]
        view.runs = [
            RunRow(**{name: row[name] for name in wanted})
            for row in rows(
                connection,
                f"select {', '.join(wanted)} from marts.runs where model = ? "
                "order by started_at desc nulls last, run_id",
                [view.model],
            )
        ]
    _per_version(connection, view, present, setting)
    if "alignment_regressions" in present:
        view.regressions = _open_regressions(connection, view)
    if "alignment_history" in present and view.compare is not None:
        view.comparison = compare_versions(connection, view.model, view.compare, view.version, present)
    named = [run.run_id for run in view.runs]
    named += [run for row in view.regressions or [] for run in (row.run_id, row.previous_run_id) if run]
    if "runs" in present:
        view.dag_run_ids = dag_run_ids(connection, named)
    return view


def _headlines(own: list[dict]) -> list[HeadlineSeries]:
    """The catalog's headline columns present in the leaderboard with a value for the model."""
    found = []
    for headline in catalog().headlines:
        if headline.column not in own[0] or all(number(row[headline.column]) is None for row in own):
            continue
        points = [
            Point(
                row["model_version"],
                number(row[headline.column]),
                row.get(headline.coverage.column),
                int(row.get(headline.unstable) or 0) if headline.unstable else 0,
            )
            for row in own
        ]
        info = catalog().info(headline.metric)
        found.append(HeadlineSeries(headline, info, catalog().headline_label(headline), points))
    return found


def _per_version(
    connection: duckdb.DuckDBPyConnection, view: Dashboard, present: set[str], setting: str | None
) -> None:
    """Heatmap (scores and ground truth) and ranking of the chosen version's latest VSM run."""
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
    truth = ground_truth(connection)
    means = ", ".join(f"avg({dim}) as {dim}" for dim in VSM_DIMENSIONS)
    asked: dict[str, set[str]] = {}
    for row in rows(
        connection,
        f"""
        select country, {means}, count(*) as n_trials, list(distinct prompt_language) as languages
        from marts.vsm_country_scores
        where run_id = ? and style = ? and strategy = ? and variant = ? and country is not null
        group by country order by country
        """,
        [view.version_run_id, STYLE, STRATEGY, VARIANT],
    ):
        country = row["country"]
        view.heatmap[country] = {
            dim: (number(row[dim]), truth.get(country, {}).get(dim)) for dim in VSM_DIMENSIONS
        }
        view.heatmap_trials[country] = row["n_trials"]
        asked[country] = set(row["languages"])
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
    own_language = own_languages(connection)
    has_unstable = "is_unstable" in columns_of(connection, "marts.deviation_ratio")
    view.ranking = [
        RankingRow(
            row["country"],
            number(row["deviation_ratio"]),
            number(row["deviation_from_global_average"]),
            number(row["mean_difference"]),
            row["n_trials"],
            row["n_prompt_languages"],
            row["n_dimensions"],
            row["null_reason"],
            bool(row["is_unstable"]),
            same_prompts_note(view.setting, own_language.get(row["country"]), asked.get(row["country"], ())),
        )
        for row in rows(
            connection,
            f"""
            select country, deviation_ratio, deviation_from_global_average, mean_difference, n_trials,
                   n_prompt_languages, n_dimensions, null_reason,
                   {"is_unstable" if has_unstable else "false as is_unstable"}
            from marts.deviation_ratio
            where run_id = ? and setting = ? and dimension = 'overall'
              and style = ? and strategy = ? and variant = ?
            order by deviation_ratio desc nulls last, country
            """,
            [view.version_run_id, view.setting, STYLE, STRATEGY, VARIANT],
        )
    ]


def ground_truth(connection: duckdb.DuckDBPyConnection) -> dict[str, dict[str, float | None]]:
    """country code -> Hofstede's score per dimension (the seed the marts compare with)."""
    relations = present_relations(connection)
    if not {"reference.countries", "reference.hofstede_country_scores"} <= relations:
        return {}
    dims = ", ".join(f"g.{dim}" for dim in VSM_DIMENSIONS)
    found = connection.execute(
        f"select c.country_code, {dims} from reference.countries as c "
        "join reference.hofstede_country_scores as g on g.iso3 = c.iso3"
    ).fetchall()
    return {code: dict(zip(VSM_DIMENSIONS, map(number, values), strict=True)) for code, *values in found}


def own_languages(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if "reference.countries" not in present_relations(connection):
        return {}
    return dict(connection.execute("select country_code, language_code from reference.countries").fetchall())


def regression_rows(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[object]
) -> list[RegressionRow]:
    present = columns_of(connection, "marts.alignment_regressions")
    defaults = {
        "n_before": None,
        "n_after": None,
        "n_unit": None,
        "coverage_differs": False,
        "is_unstable": False,
    }
    selected = ", ".join(
        name if name in present else f"{'null' if defaults[name] is None else 'false'} as {name}"
        for name in REGRESSION_COLUMNS
    )
    return [RegressionRow(**row) for row in rows(connection, sql.format(columns=selected), parameters)]


def _open_regressions(connection: duckdb.DuckDBPyConnection, view: Dashboard) -> list[RegressionRow]:
    """Comparable regressions of the model's latest compared version (not superseded by a newer one)."""
    return regression_rows(
        connection,
        """
        with latest as (
            select max(detected_at) as latest_at from marts.alignment_regressions
            where model = ? and is_comparable
        )
        select {columns}
        from marts.alignment_regressions as regressions, latest
        where regressions.model = ? and regressions.is_comparable
          and regressions.direction = 'regression'
          and regressions.version = (
              select version from marts.alignment_regressions
              where model = ? and is_comparable and detected_at = latest.latest_at limit 1
          )
        order by regressions.difference nulls last, regressions.metric, regressions.country nulls first
        """,
        [view.model, view.model, view.model],
    )


def compare_versions(
    connection: duckdb.DuckDBPyConnection, model: str, compare: str, version: str, present: set[str]
) -> Comparison:
    """Every alignment_history value of `version` beside `compare`'s (each version's latest eligible
    run per metric), like for like: values whose versions of instrument, parser, judge, ground truth
    or normalisation differ are not compared; a country whose coverage differs is not compared for
    a metric whose rule needs the same coverage (flagged otherwise); a version mean only when both
    cover the same countries, all compared."""
    from culturewatch.config.regression import load_regression_config

    rules = load_regression_config().metrics
    history = rows(
        connection,
        """
        with chosen as (
            select metric, model_version, arg_max(run_id, run_started_at) as run_id
            from marts.alignment_history
            where model = ? and model_version in (?, ?) and is_regression_eligible
            group by metric, model_version
        )
        select history.*
        from marts.alignment_history as history
        inner join chosen using (metric, model_version, run_id)
        where history.model = ?
        order by history.metric, history.scope, history.country nulls first, history.prompt_language
        """,
        [model, compare, version, model],
    )
    tested: dict[tuple[str, str | None, str | None], RegressionRow] = {}
    if "alignment_regressions" in present:
        for row in regression_rows(
            connection,
            "select {columns} from marts.alignment_regressions "
            "where model = ? and previous_version = ? and version = ?",
            [model, compare, version],
        ):
            tested[(row.metric, row.country, row.prompt_language)] = row
    sides: dict[str, dict[tuple[str, str, str | None, str | None], dict]] = {compare: {}, version: {}}
    runs: dict[str, list[str | None]] = {}
    for row in history:
        sides[row["model_version"]][(row["metric"], row["scope"], row["country"], row["prompt_language"])] = (
            row
        )
        runs.setdefault(row["metric"], [None, None])[0 if row["model_version"] == compare else 1] = row[
            "run_id"
        ]
    differing = sorted(
        {
            f"{name} {before[name]} -> {after[name]}"
            for key, after in sides[version].items()
            if (before := sides[compare].get(key)) is not None
            for name in VERSION_FIELDS
            if before.get(name) != after.get(name)
        }
    )
    compared: list[ComparedRow] = []
    country_ok: dict[str, bool] = {}
    for key in sorted(
        set(sides[compare]) | set(sides[version]),
        key=lambda k: (k[0], k[1] != "country", str(k[2]), str(k[3])),
    ):
        metric, scope, country, language = key
        before, after = sides[compare].get(key), sides[version].get(key)
        rule = rules.get(metric)
        n_before = before["n"] if before else None
        n_after = after["n"] if after else None
        why = None
        ok = before is not None and after is not None and not differing
        if before is None or after is None:
            why = f"only measured in {version if before is None else compare}"
        elif differing:
            why = "not comparable: " + "; ".join(differing)
        elif scope == "country" and n_before != n_after:
            unit = after["n_unit"]
            if rule is not None and rule.same_coverage:
                ok, why = False, f"not compared: coverage {n_before} -> {n_after} {unit}"
            else:
                why = f"coverage differs: {n_before} -> {n_after} {unit}"
        if scope == "country":
            country_ok.setdefault(metric, True)
            if not ok and (before or {}).get("in_version_mean", True):
                country_ok[metric] = False
        elif ok and (not country_ok.get(metric, True) or n_before != n_after):
            ok, why = False, "not compared: the means cover different countries or values not compared"
        compared.append(
            ComparedRow(
                metric=metric,
                metric_kind=(after or before or {}).get("metric_kind"),
                country=country,
                prompt_language=language,
                before=number(before["value"]) if before else None,
                after=number(after["value"]) if after else None,
                before_reason=before["null_reason"] if before else None,
                after_reason=after["null_reason"] if after else None,
                n_before=n_before,
                n_after=n_after,
                n_unit=(after or before or {}).get("n_unit"),
                unstable=bool((before or {}).get("is_unstable")) or bool((after or {}).get("is_unstable")),
                compared=ok,
                why_not=why,
                regression=tested.get((metric, country, language)),
            )
        )
    return Comparison(
        version,
        compare,
        {metric: (pair[0], pair[1]) for metric, pair in runs.items()},
        compared,
        "; ".join(differing) or None,
        bool(tested),
    )
