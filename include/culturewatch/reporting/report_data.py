"""What the run report shows, read from the marts through a read-only connection (no metric computed here).

The only arithmetic is presentation: the radar chart's model scores are the mean over a country's
trials of `marts.vsm_country_scores` (nulls skipped, counted), and the CAS comparison subtracts two
numbers of `marts.cultural_alignment_score`. Every deviation ratio is the mart's own value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import duckdb

from culturewatch.errors import CulturewatchError
from culturewatch.marts import DEFAULT_SLICE, VSM_DIMENSIONS, columns_of, present_relations
from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import connect_warehouse

SETTINGS: Final[tuple[str, ...]] = ("aligned", "english", "chinese", "language_average")
ALIGNED: Final = "aligned"

# The ground truth as dbt loads it (seeds land in the target schema, `main` by default).
GROUND_TRUTH_RELATION: Final = "reference.hofstede_country_scores"
COUNTRIES_RELATION: Final = "reference.countries"
CULTURESPA_COUNTRIES_RELATION: Final = "reference.culturespa_countries"  # names of the WVS countries
CAS_RELATION: Final = "marts.cultural_alignment_score"
_RUN_MARTS: Final = ("marts.vsm_country_scores", "marts.deviation_ratio", CAS_RELATION)


class UnknownRunError(CulturewatchError):
    """The requested run id is not in any mart of the warehouse."""

    def __init__(self, run_id: str, known: Sequence[str], warehouse: str) -> None:
        self.run_id = run_id
        self.known = tuple(known)
        listing = ", ".join(self.known) if self.known else "none (run `culturewatch build` first)"
        super().__init__(f"run {run_id!r} is not in the warehouse {warehouse}; known runs: {listing}")


@dataclass(frozen=True)
class ReportOptions:
    """What to report: a run, optionally a run to compare with, and which slice of the grid."""

    run_id: str
    compare_run_id: str | None = None
    # `aligned` (each country in its own language) or a prompt language code; None picks one.
    language: str | None = None
    style: str | None = None
    strategy: str | None = None
    variant: str | None = None
    # the Airflow UI the run links point into (default: $AIRFLOW__API__BASE_URL, else localhost:8080)
    airflow_url: str | None = None


@dataclass(frozen=True)
class ReportSlice:
    """One (style, strategy, variant) cell of the probe grid; the VSM figures show one slice."""

    style: str
    strategy: str
    variant: str

    @property
    def label(self) -> str:
        return f"style={self.style}, strategy={self.strategy}, variant={self.variant}"


@dataclass(frozen=True)
class RunIdentity:
    run_id: str
    model: str | None
    model_version: str | None


@dataclass(frozen=True)
class CountryProfile:
    """Mean VSM scores over a country's trials next to Hofstede's ground truth (None = no value)."""

    country: str
    country_name: str
    n_trials: int
    model: Mapping[str, float | None]
    n_scored: Mapping[str, int]
    ground_truth: Mapping[str, float | None]
    prompt_language: str | None = None  # the language its passes were asked in


@dataclass(frozen=True)
class DeviationRatioRow:
    country: str
    country_name: str
    setting: str
    dimension: str
    deviation_ratio: float | None
    null_reason: str | None
    n_trials: int
    n_dimensions: int
    is_unstable: bool = False
    note: str | None = None  # e.g. "same prompts as english (en only)"


@dataclass(frozen=True)
class CasRow:
    run_id: str
    country: str
    country_name: str
    strategy: str
    style: str
    variant: str
    prompt_language: str | None
    cas: float | None
    n_questions: int | None
    null_reason: str | None
    cas_mean_over_countries: float | None  # the run's mean over the slice's countries (the mart's)


@dataclass(frozen=True)
class CasSection:
    """CAS rows of the run and the compare run; `notes` say what is absent and why."""

    rows: tuple[CasRow, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ReportData:
    run: RunIdentity
    compare: RunIdentity | None
    warehouse: str
    slice: ReportSlice | None
    available_slices: tuple[ReportSlice, ...]
    profile_setting: str
    profile_notes: tuple[str, ...]
    profiles: tuple[CountryProfile, ...]
    deviation_ratios: tuple[DeviationRatioRow, ...]
    compare_deviation_ratios: tuple[DeviationRatioRow, ...]
    ground_truth_sources: tuple[str, ...]
    cas: CasSection
    run_urls: Mapping[str, str] = field(default_factory=dict)  # run id -> its page (culturewatch.links)

    @property
    def settings(self) -> tuple[str, ...]:
        """The settings with deviation-ratio rows, in the paper's order."""
        present = {row.setting for row in self.deviation_ratios}
        return tuple(s for s in SETTINGS if s in present) + tuple(sorted(present - set(SETTINGS)))

    def ranking(self, setting: str) -> tuple[DeviationRatioRow, ...]:
        """Overall DR of one setting, best first, nulls last (the mart's order)."""
        return tuple(r for r in self.deviation_ratios if r.setting == setting and r.dimension == "overall")

    def per_dimension(self, setting: str) -> tuple[DeviationRatioRow, ...]:
        rows = self.deviation_ratios
        return tuple(r for r in rows if r.setting == setting and r.dimension in VSM_DIMENSIONS)

    def dr_countries(self) -> tuple[tuple[str, str], ...]:
        """(code, name) of every country with a deviation-ratio row, by name."""
        return tuple(sorted({(r.country, r.country_name) for r in self.deviation_ratios}, key=lambda c: c[1]))

    def cas_groups(self) -> dict[str, tuple[CasRow, ...]]:
        """CAS rows per strategy × style × variant (× prompt language where the mart has it), labelled."""
        groups: dict[str, list[CasRow]] = {}
        for row in self.cas.rows:
            label = f"strategy={row.strategy}, style={row.style}, variant={row.variant}"
            if row.prompt_language is not None:
                label += f", prompt_language={row.prompt_language}"
            groups.setdefault(label, []).append(row)
        return {label: tuple(rows) for label, rows in groups.items()}

    def run_label(self, run: RunIdentity) -> str:
        version = " ".join(v for v in (run.model, run.model_version) if v)
        return f"{run.run_id} ({version})" if version else run.run_id


def load_report_data(paths: DataPaths, options: ReportOptions) -> ReportData:
    """Everything the report shows for `options.run_id`; raises UnknownRunError for an unknown run."""
    with connect_warehouse(paths) as con:
        relations = present_relations(con)
        known = _known_runs(con, relations)
        for run_id in (options.run_id, options.compare_run_id):
            if run_id is not None and run_id not in known:
                raise UnknownRunError(run_id, known, str(paths.warehouse))
        has_names = COUNTRIES_RELATION in relations
        run = _identity(con, relations, options.run_id)
        compare = _identity(con, relations, options.compare_run_id) if options.compare_run_id else None
        slices = _slices(con, relations, options.run_id)
        chosen = _choose_slice(slices, options) if slices else None
        profile_setting, profile_notes = "", ()
        profiles: tuple[CountryProfile, ...] = ()
        ratios: tuple[DeviationRatioRow, ...] = ()
        compare_ratios: tuple[DeviationRatioRow, ...] = ()
        sources: tuple[str, ...] = ()
        if chosen is not None:
            profile_setting, profile_notes = _profile_setting(con, relations, options, chosen)
            profiles = _profiles(con, relations, options.run_id, chosen, profile_setting)
            if "marts.deviation_ratio" in relations:
                ratios = _deviation_ratios(con, options.run_id, chosen, has_names)
                sources = _ground_truth_sources(con, options.run_id, chosen)
                if options.compare_run_id:
                    compare_ratios = tuple(
                        row
                        for row in _deviation_ratios(con, options.compare_run_id, chosen, has_names)
                        if row.dimension == "overall"
                    )
        cas = _cas(con, relations, options)
        run_urls = _run_urls(con, relations, options)
    return ReportData(
        run=run,
        compare=compare,
        warehouse=str(paths.warehouse),
        slice=chosen,
        available_slices=slices,
        profile_setting=profile_setting,
        profile_notes=profile_notes,
        profiles=profiles,
        deviation_ratios=ratios,
        compare_deviation_ratios=compare_ratios,
        ground_truth_sources=sources,
        cas=cas,
        run_urls=run_urls,
    )


def _run_urls(
    con: duckdb.DuckDBPyConnection, relations: frozenset[str], options: ReportOptions
) -> dict[str, str]:
    """Each reported run's page: its Airflow DAG run when it ran under Airflow, else the
    Alignment view's run page (culturewatch.links), absolute in the Airflow UI."""
    from culturewatch.links import absolute, dag_run_ids, default_ui_url, run_path

    base = options.airflow_url or default_ui_url()
    wanted = [run for run in (options.run_id, options.compare_run_id) if run]
    found = dag_run_ids(con, wanted) if "marts.runs" in relations else dict.fromkeys(wanted)
    return {run_id: absolute(base, run_path(run_id, found.get(run_id))) for run_id in wanted}


def _known_runs(con: duckdb.DuckDBPyConnection, relations: frozenset[str]) -> tuple[str, ...]:
    present = [relation for relation in _RUN_MARTS if relation in relations]
    if not present:
        return ()
    union = " union ".join(f"select distinct run_id from {relation}" for relation in present)
    rows = con.execute(f"select run_id from ({union}) where run_id is not null order by run_id").fetchall()
    return tuple(row[0] for row in rows)


def _identity(con: duckdb.DuckDBPyConnection, relations: frozenset[str], run_id: str) -> RunIdentity:
    for relation in _RUN_MARTS:
        if relation in relations:
            row = con.execute(
                f"select model, model_version from {relation} where run_id = $run_id limit 1",
                {"run_id": run_id},
            ).fetchone()
            if row is not None:
                return RunIdentity(run_id, row[0], row[1])
    return RunIdentity(run_id, None, None)


def _slices(
    con: duckdb.DuckDBPyConnection, relations: frozenset[str], run_id: str
) -> tuple[ReportSlice, ...]:
    if "marts.vsm_country_scores" not in relations:
        return ()
    rows = con.execute(
        """
        select style, strategy, variant from marts.vsm_country_scores
        where run_id = $run_id and country is not null
        group by all order by count(*) desc, style, strategy, variant
        """,
        {"run_id": run_id},
    ).fetchall()
    return tuple(ReportSlice(*row) for row in rows)


def _choose_slice(slices: Sequence[ReportSlice], options: ReportOptions) -> ReportSlice:
    """The slice named by the options; unnamed parts default to classification/aware/base when present."""
    wanted = (options.style, options.strategy, options.variant)
    matching = [
        s
        for s in slices
        if all(w is None or w == v for w, v in zip(wanted, (s.style, s.strategy, s.variant), strict=True))
    ]
    if not matching:
        listing = "; ".join(s.label for s in slices)
        raise CulturewatchError(
            f"run {options.run_id!r} has no VSM scores for style={options.style or '*'}, "
            f"strategy={options.strategy or '*'}, variant={options.variant or '*'}; it has: {listing}"
        )
    preferred = ReportSlice(*DEFAULT_SLICE)
    defaults = [
        s
        for s in matching
        if all(
            w is not None or v == d
            for w, v, d in zip(
                wanted,
                (s.style, s.strategy, s.variant),
                (preferred.style, preferred.strategy, preferred.variant),
                strict=True,
            )
        )
    ]
    return (defaults or matching)[0]


def _profile_setting(
    con: duckdb.DuckDBPyConnection, relations: frozenset[str], options: ReportOptions, chosen: ReportSlice
) -> tuple[str, tuple[str, ...]]:
    """What the radar shows: `aligned`, a prompt language code, or (the default when not every
    country was asked in its own language) `aligned|<code>`: each country in its own language where
    it was asked in it, else in <code>, the language most countries were asked in, so no country
    with scores is left out. Notes say what was chosen."""
    params = {"run_id": options.run_id, **_slice_params(chosen)}
    per_language = dict(
        con.execute(
            f"""
            select prompt_language, count(distinct country) from marts.vsm_country_scores
            where run_id = $run_id and country is not null and {_slice_filter()}
            group by prompt_language order by prompt_language
            """,
            params,
        ).fetchall()
    )
    n_countries, n_aligned = 0, 0
    if COUNTRIES_RELATION in relations:
        n_countries, n_aligned = con.execute(
            f"""
            select count(distinct s.country),
                   count(distinct s.country) filter (where s.prompt_language = c.language_code)
            from marts.vsm_country_scores as s
            left join {COUNTRIES_RELATION} as c on c.country_code = s.country
            where s.run_id = $run_id and s.country is not null and {_slice_filter("s")}
            """,
            params,
        ).fetchone() or (0, 0)
    languages = ", ".join(f"{code} ({n} countries)" for code, n in per_language.items())
    notes = [f"prompt languages in this slice: {languages}; aligned: {n_aligned} countries"]
    requested = options.language
    if requested is not None:
        if requested != ALIGNED and requested not in per_language:
            raise CulturewatchError(
                f"run {options.run_id!r} has no VSM scores in prompt language {requested!r} "
                f"({chosen.label}); it has: {languages or 'none'}"
            )
        return requested, tuple(notes)
    if not per_language:
        return ALIGNED, tuple(notes)
    if n_countries and n_aligned == n_countries:
        notes.append("default: aligned (every country was asked in its own language)")
        return ALIGNED, tuple(notes)
    common = max(sorted(per_language), key=lambda code: (per_language[code], code == "en"))
    if not n_aligned:
        notes.append(f"default: prompt language {common} (no country was asked in its own language)")
        return common, tuple(notes)
    notes.append(
        f"default: each country in its own language where it was asked in it, else in {common}, so no "
        "country is left out (the panel and the table name the language; --language chooses one)"
    )
    return f"{ALIGNED}|{common}", tuple(notes)


def _slice_filter(alias: str | None = None) -> str:
    prefix = f"{alias}." if alias else ""
    return " and ".join(f"{prefix}{column} = ${column}" for column in ("style", "strategy", "variant"))


def _slice_params(chosen: ReportSlice) -> dict[str, str]:
    return {"style": chosen.style, "strategy": chosen.strategy, "variant": chosen.variant}


def _profiles(
    con: duckdb.DuckDBPyConnection,
    relations: frozenset[str],
    run_id: str,
    chosen: ReportSlice,
    setting: str,
) -> tuple[CountryProfile, ...]:
    """Each country's mean score per dimension in the prompt language `setting` picks for it."""
    has_countries = COUNTRIES_RELATION in relations
    if setting.startswith(ALIGNED) and not has_countries:
        return ()
    fallback = setting.split("|", 1)[1] if "|" in setting else None
    params: dict[str, str | None] = {"run_id": run_id, **_slice_params(chosen), "fallback": fallback}
    if setting.startswith(ALIGNED):
        # the country's own language when asked in it; else (aligned|<code>) <code>
        pick = (
            "case when bool_or(s.prompt_language = own.language_code) then any_value(own.language_code) "
            "when $fallback is not null and bool_or(s.prompt_language = $fallback) then $fallback end"
        )
        own_join = f"left join {COUNTRIES_RELATION} as own on own.country_code = s.country"
    else:
        pick, own_join, params["fallback"] = "$fallback", "", setting
    means = ", ".join(f"avg(s.{d}) as {d}, count(s.{d}) as n_{d}" for d in VSM_DIMENSIONS)
    has_truth = has_countries and GROUND_TRUTH_RELATION in relations
    truth = ", ".join(f"g.{d} as gt_{d}" if has_truth else f"null as gt_{d}" for d in VSM_DIMENSIONS)
    joins = (
        f"left join {COUNTRIES_RELATION} as c on c.country_code = scored.country" if has_countries else ""
    ) + (f" left join {GROUND_TRUTH_RELATION} as g on g.iso3 = c.iso3" if has_truth else "")
    cursor = con.execute(
        f"""
        with languages as (
            select s.country, {pick} as prompt_language
            from marts.vsm_country_scores as s
            {own_join}
            where s.run_id = $run_id and s.country is not null and {_slice_filter("s")}
            group by s.country
        ),
        scored as (
            select s.country, any_value(s.prompt_language) as prompt_language, count(*) as n_trials, {means}
            from marts.vsm_country_scores as s
            inner join languages
                on languages.country = s.country and languages.prompt_language = s.prompt_language
            where s.run_id = $run_id and {_slice_filter("s")}
            group by s.country
        )
        select scored.*, {"c.country_name" if has_countries else "null"} as country_name, {truth}
        from scored
        {joins}
        order by {"coalesce(c.country_name, scored.country)" if has_countries else "scored.country"}
        """,
        params,
    )
    columns = [column[0] for column in cursor.description]
    profiles = []
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        profiles.append(
            CountryProfile(
                country=row["country"],
                country_name=row["country_name"] or row["country"],
                n_trials=row["n_trials"],
                model={d: row[d] for d in VSM_DIMENSIONS},
                n_scored={d: row[f"n_{d}"] for d in VSM_DIMENSIONS},
                ground_truth={d: row[f"gt_{d}"] for d in VSM_DIMENSIONS},
                prompt_language=row["prompt_language"],
            )
        )
    return tuple(profiles)


def _deviation_ratios(
    con: duckdb.DuckDBPyConnection, run_id: str, chosen: ReportSlice, has_names: bool
) -> tuple[DeviationRatioRow, ...]:
    from culturewatch.reporting.setting_notes import same_prompts_note

    name = "coalesce(c.country_name, dr.country)" if has_names else "dr.country"
    own = "c.language_code" if has_names else "null"
    join = f"left join {COUNTRIES_RELATION} as c on c.country_code = dr.country" if has_names else ""
    unstable = "dr.is_unstable" if "is_unstable" in columns_of(con, "marts.deviation_ratio") else "false"
    rows = con.execute(
        f"""
        select dr.country, {name}, dr.setting, dr.dimension, dr.deviation_ratio, dr.null_reason,
               dr.n_trials, dr.n_dimensions, {unstable}, {own} as own_language,
               (select list(distinct s.prompt_language) from marts.vsm_country_scores as s
                where s.run_id = dr.run_id and s.country = dr.country and {_slice_filter("s")}) as asked
        from marts.deviation_ratio as dr
        {join}
        where dr.run_id = $run_id and {_slice_filter("dr")}
        order by dr.setting, dr.dimension, dr.deviation_ratio desc nulls last, dr.country
        """,
        {"run_id": run_id, **_slice_params(chosen)},
    ).fetchall()
    return tuple(
        DeviationRatioRow(*row[:9], same_prompts_note(row[2], row[9], row[10] or ())) for row in rows
    )


def _ground_truth_sources(
    con: duckdb.DuckDBPyConnection, run_id: str, chosen: ReportSlice
) -> tuple[str, ...]:
    rows = con.execute(
        f"""
        select distinct ground_truth_source from marts.deviation_ratio
        where run_id = $run_id and {_slice_filter()} order by 1
        """,
        {"run_id": run_id, **_slice_params(chosen)},
    ).fetchall()
    return tuple(row[0] for row in rows if row[0] is not None)


def _cas(con: duckdb.DuckDBPyConnection, relations: frozenset[str], options: ReportOptions) -> CasSection:
    if CAS_RELATION not in relations:
        return CasSection((), (f"{CAS_RELATION} is not in the warehouse: no cultural alignment scores yet.",))
    present = columns_of(con, CAS_RELATION)
    # columns beyond the documented key columns are used when the mart has them
    optional = {
        c: f"cas.{c}" if c in present else "null"
        for c in ("prompt_language", "null_reason", "cas_mean_over_countries")
    }
    names = [
        (alias, relation)
        for alias, relation in (("c", COUNTRIES_RELATION), ("cs", CULTURESPA_COUNTRIES_RELATION))
        if relation in relations
    ]
    name = f"coalesce({', '.join(f'{alias}.country_name' for alias, _ in names)}, cas.country)"
    joins = " ".join(f"left join {r} as {a} on {a}.country_code = cas.country" for a, r in names)
    run_ids = [r for r in (options.run_id, options.compare_run_id) if r is not None]
    rows = con.execute(
        f"""
        select cas.run_id, cas.country, {name}, cas.strategy, cas.style, cas.variant,
               {optional["prompt_language"]}, cas.cas, cas.n_questions, {optional["null_reason"]},
               {optional["cas_mean_over_countries"]}
        from {CAS_RELATION} as cas
        {joins}
        where list_contains($run_ids, cas.run_id)
        order by all
        """,
        {"run_ids": run_ids},
    ).fetchall()
    cas_rows = tuple(CasRow(*row) for row in rows)
    notes = []
    for run_id in run_ids:
        if not any(row.run_id == run_id for row in cas_rows):
            notes.append(f"run {run_id} has no rows in {CAS_RELATION}.")
    if options.compare_run_id is None:
        notes.append("No --compare-run given: CAS is shown for this run only (no before/after).")
    return CasSection(cas_rows, tuple(notes))
