"""What the report's paper figures and its leaderboard page read, from the published marts only.

- Sukiennik Fig. 2: `deviation_ratio`'s numerator (deviation from the global average) against its
  denominator (difference from the ground truth), per country and setting.
- Sukiennik Table 3 across models: the overall DR per country of each model's latest version
  (its latest VSM run), next to each other.
- CultureSPA Fig. 5: `cultural_alignment_matrix` (culture × culture) with the Pearson correlations
  of `cultural_alignment_matrix_correlation`.
- Bravansky: `answer_distributions` (model vs human, per question and style) and the bootstrap
  intervals of `distribution_similarity` / `distribution_similarity_by_style`.
- The change from the previous version: `alignment_regressions` rows of the run, with their
  paired-bootstrap intervals.
No metric is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from culturewatch.marts import DEFAULT_SLICE, RegressionRow, columns_of, present_relations
from culturewatch.reporting.report_data import ReportSlice

TABLE3_SETTINGS = ("aligned", "english", "chinese", "language_average")
MAX_DISTRIBUTION_ITEMS = 12  # questions drawn as model-vs-human distributions (the least similar)


@dataclass(frozen=True)
class ScatterPoint:
    country: str
    setting: str
    numerator: float
    denominator: float
    deviation_ratio: float | None
    is_unstable: bool


@dataclass(frozen=True)
class MatrixCell:
    strategy: str
    culture_i: str
    culture_j: str
    model: float | None
    reference: float | None


@dataclass(frozen=True)
class Distribution:
    """One question's model and human shares in one style (and population)."""

    item_id: str
    style: str
    country: str
    option_codes: tuple[int, ...]
    model: tuple[float, ...]
    human: tuple[float, ...]
    similarity: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class StyleSimilarity:
    style: str
    strategy: str
    country: str
    mean_similarity: float | None
    ci_low: float | None
    ci_high: float | None
    n_items: int | None


@dataclass
class PaperData:
    scatter: list[ScatterPoint] = field(default_factory=list)
    matrix: list[MatrixCell] = field(default_factory=list)
    correlations: dict[tuple[str, str], float | None] = field(default_factory=dict)  # (strategy, comparison)
    distributions: list[Distribution] = field(default_factory=list)
    styles: list[StyleSimilarity] = field(default_factory=list)
    changes: list[RegressionRow] = field(default_factory=list)


def load_paper_data(con: duckdb.DuckDBPyConnection, run_id: str, chosen: ReportSlice | None) -> PaperData:
    relations = present_relations(con)
    data = PaperData()
    if chosen is not None and "marts.deviation_ratio" in relations:
        unstable = "is_unstable" if "is_unstable" in columns_of(con, "marts.deviation_ratio") else "false"
        data.scatter = [
            ScatterPoint(*row)
            for row in con.execute(
                f"""
                select country, setting, deviation_from_global_average, mean_difference, deviation_ratio,
                       {unstable}
                from marts.deviation_ratio
                where run_id = ? and dimension = 'overall' and style = ? and strategy = ? and variant = ?
                  and deviation_from_global_average is not null and mean_difference is not null
                order by setting, country
                """,
                [run_id, chosen.style, chosen.strategy, chosen.variant],
            ).fetchall()
        ]
    if "marts.cultural_alignment_matrix" in relations:
        data.matrix = [
            MatrixCell(*row)
            for row in con.execute(
                """
                select strategy, culture_i, culture_j, avg(s_model_model), avg(s_wvs_reference)
                from marts.cultural_alignment_matrix
                where run_id = ? and style = 'classification' and variant = 'base'
                group by all order by all
                """,
                [run_id],
            ).fetchall()
        ]
    if "marts.cultural_alignment_matrix_correlation" in relations:
        data.correlations = {
            (strategy, comparison): pearson
            for strategy, comparison, pearson in con.execute(
                """
                select strategy, comparison, avg(pearson)
                from marts.cultural_alignment_matrix_correlation
                where run_id = ? and style = 'classification' and variant = 'base'
                group by all
                """,
                [run_id],
            ).fetchall()
        }
    if "marts.answer_distributions" in relations and "marts.distribution_similarity" in relations:
        data.distributions = _distributions(con, run_id)
    if "marts.distribution_similarity_by_style" in relations:
        data.styles = [
            StyleSimilarity(*row)
            for row in con.execute(
                """
                select style, strategy, country, mean_similarity, similarity_ci_low, similarity_ci_high,
                       n_items_scored
                from marts.distribution_similarity_by_style
                where run_id = ? and variant = 'base' and not is_persona_free
                order by strategy, country, style
                """,
                [run_id],
            ).fetchall()
        ]
    if "marts.alignment_regressions" in relations:
        from culturewatch.dashboard.queries import regression_rows

        data.changes = regression_rows(
            con,
            "select {columns} from marts.alignment_regressions where run_id = ? and is_comparable "
            "order by metric, country nulls first, prompt_language",
            [run_id],
        )
    return data


def _distributions(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Distribution]:
    """The least similar questions of the run's persona answers (one population per question: its
    persona country), every style they were asked in, model and human shares side by side."""
    rows = con.execute(
        f"""
        with similarity as (
            select item_id, country, style, similarity, similarity_ci_low, similarity_ci_high
            from marts.distribution_similarity
            where run_id = ? and strategy = 'aware' and variant = 'base' and not is_persona_free
        ),
        chosen as (
            select item_id, country
            from similarity
            where similarity is not null
            group by item_id, country
            order by min(similarity), item_id, country
            limit {MAX_DISTRIBUTION_ITEMS}
        )
        select d.item_id, d.style, d.country,
               list(d.option_code order by d.option_position),
               list(d.model_share order by d.option_position),
               list(d.human_share order by d.option_position),
               any_value(s.similarity), any_value(s.similarity_ci_low), any_value(s.similarity_ci_high)
        from marts.answer_distributions as d
        inner join chosen using (item_id, country)
        left join similarity as s using (item_id, country, style)
        where d.run_id = ? and d.strategy = 'aware' and d.variant = 'base' and not d.is_persona_free
        group by d.item_id, d.style, d.country
        order by d.item_id, d.country, d.style
        """,
        [run_id, run_id],
    ).fetchall()
    return [
        Distribution(item, style, country, tuple(codes), tuple(model), tuple(human), sim, low, high)
        for item, style, country, codes, model, human, sim, low, high in rows
    ]


# ---------------------------------------------------------------- across models


@dataclass(frozen=True)
class ModelRun:
    model: str
    model_version: str
    run_id: str


@dataclass
class ModelsData:
    """The leaderboard page: every model's latest version, and Table 3 across them."""

    leaderboard: list[dict[str, object]] = field(default_factory=list)
    runs: list[ModelRun] = field(default_factory=list)  # each model's latest VSM run
    setting: str | None = None
    table3: dict[str, dict[str, tuple[float | None, str | None, bool]]] = field(default_factory=dict)
    country_names: dict[str, str] = field(default_factory=dict)


def load_models_data(con: duckdb.DuckDBPyConnection, setting: str | None = None) -> ModelsData:
    relations = present_relations(con)
    data = ModelsData()
    if "marts.model_leaderboard" not in relations:
        return data
    cursor = con.execute(
        "select * from marts.model_leaderboard "
        "qualify row_number() over (partition by model order by last_probed_at desc nulls last) = 1 "
        "order by model"
    )
    names = [column[0] for column in cursor.description]
    data.leaderboard = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if "marts.deviation_ratio" not in relations or "marts.runs" not in relations:
        return data
    latest = {(str(row["model"]), str(row["model_version"])) for row in data.leaderboard}
    runs = con.execute(
        """
        select r.model, r.model_version, r.run_id
        from marts.runs as r
        where r.instrument = 'vsm2013' and r.status = 'complete'
          and exists (select 1 from marts.deviation_ratio as d where d.run_id = r.run_id)
        qualify row_number() over (partition by r.model, r.model_version order by r.started_at desc) = 1
        order by r.model
        """
    ).fetchall()
    data.runs = [ModelRun(*row) for row in runs if (row[0], row[1]) in latest]
    if not data.runs:
        return data
    run_ids = [run.run_id for run in data.runs]
    present = dict(
        con.execute(
            "select setting, count(distinct run_id) from marts.deviation_ratio "
            "where list_contains(?, run_id) group by setting",
            [run_ids],
        ).fetchall()
    )
    data.setting = setting if setting in present else _widest(present)
    unstable = "is_unstable" if "is_unstable" in columns_of(con, "marts.deviation_ratio") else "false"
    for run_id, country, ratio, reason, flagged in con.execute(
        f"""
        select run_id, country, deviation_ratio, null_reason, {unstable}
        from marts.deviation_ratio
        where list_contains(?, run_id) and setting = ? and dimension = 'overall'
          and style = ? and strategy = ? and variant = ?
        """,
        [run_ids, data.setting, *DEFAULT_SLICE],
    ).fetchall():
        data.table3.setdefault(country, {})[run_id] = (ratio, reason, bool(flagged))
    if "reference.countries" in relations:
        data.country_names = dict(
            con.execute("select country_code, country_name from reference.countries").fetchall()
        )
    return data


def _widest(present: dict[str, int]) -> str:
    """The setting most of the runs have (the paper's order on ties)."""
    order = {setting: index for index, setting in enumerate(TABLE3_SETTINGS)}
    return min(present, key=lambda setting: (-present[setting], order.get(setting, 99), setting))


def ranks(values: Sequence[float | None]) -> list[int | None]:
    """1 = highest (DR: higher is better); None for a null value."""
    ordered = sorted((value for value in values if value is not None), reverse=True)
    return [None if value is None else ordered.index(value) + 1 for value in values]
