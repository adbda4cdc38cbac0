"""The report as one self-contained HTML page (figures inlined as SVG data URIs, each linking to
its SVG and 300-dpi PNG files), and the leaderboard page across models.

Everything that came from the warehouse (model names, run ids, countries, reasons) is escaped;
null metrics are written as "null" with their reason, never as 0; every metric says which
direction is better and what it means (config/metrics.yaml).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from culturewatch.config.metrics import catalog, coverage_text, format_share, relative_change
from culturewatch.marts import VSM_DIMENSIONS
from culturewatch.reporting.figure_files import RenderedFigure
from culturewatch.reporting.figures import CAS, DIMENSION_DR, RADAR, RANKING
from culturewatch.reporting.paper_data import ModelsData, PaperData, ranks
from culturewatch.reporting.paper_figures import (
    CHANGES,
    DISTRIBUTIONS,
    HEADLINES,
    MATRIX,
    SCATTER,
    STYLES,
    TABLE3,
)
from culturewatch.reporting.report_data import CasRow, DeviationRatioRow, ReportData

LEADERBOARD_NAME = "leaderboard.html"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }
th:first-child, td.name { text-align: left; }
.null { color: #888; font-style: italic; } .gt { color: #b22; } .note { color: #555; font-size: 0.9rem; }
img { max-width: 100%; } dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dt { font-weight: 600; } .flag { background: #fef3c7; padding: 0 0.3rem; border-radius: 0.3rem; }
.files { font-size: 0.8rem; }
"""


def esc(value: object) -> str:
    """Text for the page: every value from a model, a config or the warehouse goes through here."""
    return html.escape(str(value), quote=True)


def null(reason: str | None) -> str:
    return f'<span class="null">null{f" ({esc(reason)})" if reason else ""}</span>'


def number(value: float | None, digits: int, reason: str | None = None) -> str:
    return null(reason) if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], label_column: int = 0) -> str:
    """`header` is escaped here; each row's cells are HTML already (escaped by their builder)."""
    head = "".join(f"<th>{esc(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=name' if i == label_column else ''}>{cell}</td>" for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(figures: Mapping[str, RenderedFigure], name: str, alt: str) -> str:
    if name not in figures:
        return ""
    encoded = base64.b64encode(figures[name].svg).decode("ascii")
    return (
        f'<figure id="figure-{esc(name)}"><img src="data:image/svg+xml;base64,{encoded}" alt="{esc(alt)}">'
        f'<figcaption class="files"><a href="{esc(name)}.svg">vector (SVG)</a> · '
        f'<a href="{esc(name)}.png">PNG, 300 dpi</a></figcaption></figure>'
    )


def how_to_read(metrics: Iterable[str]) -> str:
    """Each metric's direction and one-line meaning (config/metrics.yaml)."""
    items = "".join(
        f"<dt>{esc(catalog().info(m).label)}</dt><dd>{esc(catalog().info(m).direction_text)}: "
        f"{esc(catalog().info(m).meaning)}</dd>"
        for m in metrics
    )
    return f'<h2>How to read these numbers</h2><dl id="how-to-read">{items}</dl>'


def _notes(notes: Iterable[str]) -> str:
    return "".join(f'<p class="note">{esc(note)}</p>' for note in notes)


# what a section's table adds to the metric's meaning (the "How to read" list above it)
RANKING_NOTE = (
    "Overall deviation ratio over the dimensions (Sukiennik et al. Eq. 1, Table 3). Null values are "
    "undefined, not zero."
)
CAS_NOTE = (
    "CultureSPA Eq. 1. Avg = the run's mean over its countries with a value "
    "(marts.cultural_alignment_score); Δ Avg = this run's Avg − the compare run's."
)


def _heading(title: str, *notes: str) -> str:
    """A section's heading and how to read it."""
    return f"<h2>{esc(title)}</h2>" + _notes(notes)


def _run_link(data: ReportData, run_id: str, text: str) -> str:
    url = data.run_urls.get(run_id)
    return f'<a href="{esc(url)}" class="run-link">{esc(text)}</a>' if url else esc(text)


def _header(data: ReportData, generated_at: datetime) -> str:
    items = [("run", _run_link(data, data.run.run_id, data.run_label(data.run)))]
    if data.compare is not None:
        items.append(("compared with", _run_link(data, data.compare.run_id, data.run_label(data.compare))))
    items = [(name, value) for name, value in items]
    items.append(("slice", data.slice.label if data.slice else "no VSM scores for this run"))
    if len(data.available_slices) > 1:
        items.append(("other slices", "; ".join(s.label for s in data.available_slices if s != data.slice)))
    if data.ground_truth_sources:
        items.append(("ground truth", ", ".join(data.ground_truth_sources)))
    items += [("warehouse", data.warehouse), ("generated", generated_at.isoformat(timespec="seconds"))]
    links = {"run", "compared with"}
    listing = "".join(f"<dt>{esc(k)}</dt><dd>{v if k in links else esc(v)}</dd>" for k, v in items)
    return (
        f"<h1>culturewatch report: {esc(data.run.run_id)}</h1><dl>{listing}</dl>"
        f'<p><a href="{LEADERBOARD_NAME}" id="leaderboard-link">Leaderboard across models (Table 3 across '
        "models)</a></p>"
    )


def _radar_section(data: ReportData, figures: Mapping[str, bytes]) -> str:
    parts = ["<h2>VSM 2013 dimensions vs Hofstede ground truth</h2>"]
    from culturewatch.reporting.figures import profile_setting_text

    setting = profile_setting_text(data.profile_setting)
    if data.slice is None:
        return parts[0] + _notes(["This run has no rows in marts.vsm_country_scores."])
    parts.append(
        _notes([f"Setting: {setting}. Model = mean over trials (nulls skipped).", *data.profile_notes])
    )
    if not data.profiles:
        parts.append(_notes([f"No VSM scores in this setting ({setting})."]))
        return "".join(parts)
    parts.append(_figure(figures, RADAR, "radar chart of the six VSM dimensions per country"))
    rows = []
    for profile in data.profiles:
        cells = [
            f"{esc(profile.country_name)} ({esc(profile.country)})",
            esc(profile.prompt_language or ""),
            str(profile.n_trials),
        ]
        for d in VSM_DIMENSIONS:
            model = profile.model[d]
            shown = (
                null(f"{profile.n_scored[d]}/{profile.n_trials} trials scored")
                if model is None
                else f"{model:.1f}"
            )
            truth = profile.ground_truth[d]
            gt = '<span class="null">no GT</span>' if truth is None else f'<span class="gt">{truth:g}</span>'
            cells.append(f"{shown} / {gt}")
        rows.append(cells)
    header = ["country", "prompt language", "trials", *(f"{d.upper()} model / GT" for d in VSM_DIMENSIONS)]
    parts.append(_table(header, rows))
    return "".join(parts)


def _delta(value: float | None, other: float | None, digits: int) -> str:
    if value is None or other is None:
        return '<span class="null">–</span>'
    return f"{value - other:+.{digits}f}"


def _ranking_table(rows: Sequence[DeviationRatioRow], compare: Mapping[str, DeviationRatioRow] | None) -> str:
    header = ["rank", "country", "deviation ratio"]
    if compare is not None:
        header += ["compare run", "Δ (this − compare)"]
    header += ["passes", "dimensions", "notes"]
    body = []
    rank = 0
    for row in rows:
        rank += row.deviation_ratio is not None
        cells = [
            str(rank) if row.deviation_ratio is not None else "–",
            f"{esc(row.country_name)} ({esc(row.country)})",
            number(row.deviation_ratio, 3, row.null_reason),
        ]
        if compare is not None:
            other = compare.get(row.country)
            if other is None:
                cells += ['<span class="null">absent</span>', '<span class="null">–</span>']
            else:
                cells.append(number(other.deviation_ratio, 3, other.null_reason))
                cells.append(_delta(row.deviation_ratio, other.deviation_ratio, 3))
        notes = []
        if row.is_unstable:
            notes.append('<span class="flag">* unstable: denominator under 5 points</span>')
        if row.note:
            notes.append(f'<span class="flag">{esc(row.note)}</span>')
        cells += [str(row.n_trials), str(row.n_dimensions), " ".join(notes)]
        body.append(cells)
    return _table(header, body, label_column=1)


def _ranking_section(data: ReportData, figures: Mapping[str, bytes]) -> str:
    parts = [_heading("Country ranking by deviation ratio", RANKING_NOTE)]
    if not data.settings:
        return "".join(parts) + _notes(["No rows in marts.deviation_ratio for this run and slice."])
    parts.append(_figure(figures, RANKING, "bar chart of the overall deviation ratio per country"))
    compare = None
    if data.compare is not None:
        if not data.compare_deviation_ratios:
            parts.append(_notes([f"Compare run {data.compare.run_id} has no deviation ratio in this slice."]))
    for setting in data.settings:
        if data.compare is not None:
            compare = {r.country: r for r in data.compare_deviation_ratios if r.setting == setting}
        parts.append(f"<h3>{esc(setting)}</h3>")
        parts.append(_ranking_table(data.ranking(setting), compare))
    return "".join(parts)


def _dimension_section(data: ReportData, figures: Mapping[str, bytes]) -> str:
    parts = ["<h2>Deviation ratio per dimension</h2>"]
    if not data.settings:
        return parts[0] + _notes(["No rows in marts.deviation_ratio for this run and slice."])
    parts.append(_figure(figures, DIMENSION_DR, "heatmap of the deviation ratio per country and dimension"))
    for setting in data.settings:
        cells = {(r.country, r.dimension): r for r in data.per_dimension(setting)}
        rows = []
        for code, name in data.dr_countries():
            if not any((code, d) in cells for d in VSM_DIMENSIONS):
                continue
            row = [f"{esc(name)} ({esc(code)})"]
            for d in VSM_DIMENSIONS:
                cell = cells.get((code, d))
                star = "*" if cell is not None and cell.is_unstable else ""
                row.append(
                    null("absent")
                    if cell is None
                    else number(cell.deviation_ratio, 3, cell.null_reason) + star
                )
            rows.append(row)
        parts.append(f"<h3>{esc(setting)}</h3>")
        parts.append(_table(["country", *(d.upper() for d in VSM_DIMENSIONS)], rows))
    return "".join(parts)


def _slice_mean(rows: Iterable[CasRow]) -> float | None:
    """A run's mean CAS over the slice's countries, as the mart has it (the same on each row)."""
    return next((row.cas_mean_over_countries for row in rows), None)


def _cas_table(rows: Sequence[CasRow], data: ReportData) -> str:
    countries = sorted({(row.country, row.country_name) for row in rows})
    runs = [r for r in (data.run, data.compare) if r is not None]
    by_run = {r.run_id: {row.country: row for row in rows if row.run_id == r.run_id} for r in runs}
    body = []
    for run in runs:
        values = by_run[run.run_id]
        cells = [esc(data.run_label(run))]
        for code, _ in countries:
            row = values.get(code)
            cells.append(null("absent") if row is None else number(row.cas, 2, row.null_reason))
        cells.append(number(_slice_mean(values.values()), 2, "no value"))
        body.append(cells)
    if data.compare is not None:
        base, other = by_run[data.run.run_id], by_run[data.compare.run_id]
        deltas: list[float | None] = []
        for code, _ in countries:
            a, b = base.get(code), other.get(code)
            deltas.append(a.cas - b.cas if a and b and a.cas is not None and b.cas is not None else None)
        cells = ["Δ (this run − compare run)"]
        cells += [_delta(d, 0.0, 2) for d in deltas]
        means = _slice_mean(base.values()), _slice_mean(other.values())
        cells.append(_delta(None if None in means else means[0] - means[1], 0.0, 2))
        body.append(cells)
    n_questions = [
        f"{esc(code)}: {row.n_questions}"
        for code, _ in countries
        if (row := by_run[data.run.run_id].get(code))
    ]
    table = _table(["run", *(code for code, _ in countries), "Avg"], body)
    return table + (_notes([f"questions scored (this run): {', '.join(n_questions)}"]) if n_questions else "")


def _cas_section(data: ReportData, figures: Mapping[str, bytes]) -> str:
    parts = [_heading("Cultural alignment score per country", CAS_NOTE, *data.cas.notes)]
    groups = data.cas_groups()
    if not groups:
        return "".join(parts)
    parts.append(_figure(figures, CAS, "bar chart of the cultural alignment score per country"))
    for label, rows in groups.items():
        parts.append(f"<h3>{esc(label)}</h3>")
        parts.append(_cas_table(rows, data))
    return "".join(parts)


def _figure_section(figures: Mapping[str, RenderedFigure], name: str, title: str, note: str, alt: str) -> str:
    """A heading, how to read the figure and the figure; nothing when the figure was not drawn."""
    if name not in figures:
        return ""
    return _heading(title, note) + _figure(figures, name, alt)


def _scatter_section(figures: Mapping[str, RenderedFigure]) -> str:
    return _figure_section(
        figures,
        SCATTER,
        "Deviation from the global average vs difference from the ground truth",
        "Sukiennik et al. Fig. 2, from marts.deviation_ratio: each country's numerator (how far its "
        "Hofstede scores lie from the 20-country average) against its denominator (how far the model's "
        "scores lie from Hofstede's). DR is their ratio: points above the diagonal have DR > 1. A country "
        "close to the average can look well aligned by its difference alone; its DR says whether the "
        "model adapted.",
        "scatter of numerator against denominator per country",
    )


def _changes_section(paper: PaperData, figures: Mapping[str, RenderedFigure]) -> str:
    if not paper.changes:
        return ""
    from culturewatch.alerts.messages import metric_text, over_text, q_text

    rows = []
    for row in paper.changes:
        info = metric_text(row.metric).info
        where = (
            "all countries"
            if row.country is None and row.prompt_language is None
            else (f"{row.country or 'all'}/{row.prompt_language or 'all'}")
        )
        interval = (
            f"[{info.format_change(row.ci_low)}, {info.format_change(row.ci_high)}]"
            if row.ci_low is not None and row.ci_high is not None
            else "–"
        )
        rows.append(
            [
                esc(row.metric),
                esc(where),
                esc(f"{row.previous_version} → {row.version}"),
                esc(info.format(row.value_before)),
                esc(info.format(row.value_after)),
                esc(info.format_change(row.difference)),
                esc(format_share(relative_change(row.difference, row.value_before))),
                esc(interval),
                esc(q_text(row.q_value)),
                esc(row.direction),
                esc(over_text(row)),
                '<span class="flag">unstable</span>' if row.is_unstable else "",
            ]
        )
    header = ["metric", "where", "versions", "before", "after", "change", "relative", "95% interval", "q",
              "verdict", "over", "notes"]  # fmt: skip
    return (
        _heading(
            "Change from the previous version",
            "marts.alignment_regressions: this run against the previous comparable version's run. "
            "Change = after − before, signed so that negative is worse; the interval is the paired "
            "bootstrap's (drawn as error bars), q the Benjamini–Hochberg q-value.",
        )
        + _figure(figures, CHANGES, "bars of the change per metric with bootstrap error bars")
        + _table(header, rows)
    )


def _culturespa_sections(figures: Mapping[str, RenderedFigure]) -> str:
    return (
        _figure_section(
            figures,
            MATRIX,
            "Cross-cultural alignment matrix (CultureSPA Fig. 5)",
            "marts.cultural_alignment_matrix: the alignment score between every two cultures, of the WVS "
            "reference and of the model's answers as each culture; r = Pearson between the two matrices "
            "(marts.cultural_alignment_matrix_correlation): does the model keep the relations between "
            "cultures?",
            "culture by culture alignment matrices",
        )
        + _figure_section(
            figures,
            STYLES,
            "Distribution similarity per interaction style",
            "marts.distribution_similarity_by_style (Bravansky et al.): the mean similarity of the model's "
            "answer distributions to the WVS's over the questions, per style, with the bootstrap 95% "
            "interval as error bars.",
            "similarity per style with bootstrap error bars",
        )
        + _figure_section(
            figures,
            DISTRIBUTIONS,
            "Model vs human answer distributions",
            "marts.answer_distributions: the least similar questions of the run (persona answers), the WVS "
            "distribution beside the model's in each interaction style; the panel titles give each style's "
            "similarity and bootstrap interval (marts.distribution_similarity).",
            "model and human answer distributions per question",
        )
    )


def render_html(
    data: ReportData,
    figures: Mapping[str, RenderedFigure],
    generated_at: datetime | None = None,
    paper: PaperData | None = None,
) -> str:
    """The whole page; `figures` are the rendered figures keyed by their stems."""
    when = generated_at or datetime.now(UTC)
    paper = paper or PaperData()
    body = "".join(
        [
            _header(data, when),
            how_to_read(["deviation_ratio", "vsm_score", "cas", "distribution_similarity"]),
            _radar_section(data, figures),
            _ranking_section(data, figures),
            _scatter_section(figures),
            _dimension_section(data, figures),
            _changes_section(paper, figures),
            _cas_section(data, figures),
            _culturespa_sections(figures),
        ]
    )
    return _page(f"culturewatch report: {data.run.run_id}", body)


def _page(heading: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(heading)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def render_leaderboard_html(
    models: ModelsData,
    figures: Mapping[str, RenderedFigure],
    run_urls: Mapping[str, str],
    generated_at: datetime,
) -> str:
    """Every model's latest version side by side: the headline metrics with their coverage, and
    Sukiennik's Table 3 (country ranking) across models."""
    parts = [
        "<h1>culturewatch leaderboard across models</h1>",
        _notes(
            [
                f"generated {generated_at.isoformat(timespec='seconds')}; each model's latest version "
                "(marts.model_leaderboard)."
            ]
        ),  # fmt: skip
        how_to_read(list(dict.fromkeys(h.metric for h in catalog().headlines))),
    ]
    if not models.leaderboard:
        return _page("culturewatch leaderboard", "".join(parts) + _notes(["No marts.model_leaderboard yet."]))
    headlines = [
        h for h in catalog().headlines if any(r.get(h.column) is not None for r in models.leaderboard)
    ]
    header = [
        "model",
        "version",
        *(f"{catalog().headline_label(h)} ({catalog().info(h.metric).direction_text})" for h in headlines),
    ]
    rows = []
    for row in models.leaderboard:
        cells = [esc(row["model"]), esc(row["model_version"])]
        for headline in headlines:
            info = catalog().info(headline.metric)
            value = row.get(headline.column)
            coverage = coverage_text(row.get(headline.coverage.column), headline.coverage.unit)  # type: ignore[arg-type]
            cells.append(
                "–" if value is None else f"{esc(info.format(value))}<br><small>{esc(coverage)}</small>"
            )  # type: ignore[arg-type]
        rows.append(cells)
    parts += ["<h2>Headline metrics</h2>", _figure(figures, HEADLINES, "headline metrics per model"),
              _table(header, rows)]  # fmt: skip
    if models.runs:
        parts.append(
            _heading(
                f"Country ranking across models (Sukiennik Table 3), setting {models.setting}",
                "Overall deviation ratio per country of each model's latest VSM run (classification, "
                "persona, base wording), its rank among the countries in brackets; * = unstable.",
            )
        )
        parts.append(_figure(figures, TABLE3, "country ranking across models"))
        countries = sorted(models.table3, key=lambda code: models.country_names.get(code, code))
        columns = [
            [models.table3[c].get(run.run_id, (None, None, False))[0] for c in countries]
            for run in models.runs
        ]
        column_ranks = [ranks(column) for column in columns]
        table_rows = []
        for y, country in enumerate(countries):
            cells = [esc(models.country_names.get(country, country))]
            for x, run in enumerate(models.runs):
                value, reason, unstable = models.table3[country].get(run.run_id, (None, "absent", False))
                cells.append(
                    number(value, 3, reason)
                    + ("*" if unstable else "")
                    + (f" (#{column_ranks[x][y]})" if value is not None else "")
                )
            table_rows.append(cells)
        run_header = [f"{run.model} {run.model_version}" for run in models.runs]
        parts.append(_table(["country", *run_header], table_rows))
        links = " · ".join(
            f'<a href="{esc(run_urls[run.run_id])}" class="run-link">{esc(run.run_id)}</a>'
            for run in models.runs if run.run_id in run_urls
        )  # fmt: skip
        parts.append(f"<p>Runs: {links}</p>")
    return _page("culturewatch leaderboard", "".join(parts))
