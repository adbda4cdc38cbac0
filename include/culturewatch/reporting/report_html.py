"""The report as one self-contained HTML page (figures inlined as PNG data URIs).

Everything that came from the warehouse (model names, run ids, countries, reasons) is escaped;
null metrics are written as "null" with their reason, never as 0.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from culturewatch.reporting.figures import CAS, DIMENSION_DR, RADAR, RANKING
from culturewatch.reporting.report_data import ALIGNED, DIMENSIONS, CasRow, DeviationRatioRow, ReportData

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }
th:first-child, td.name { text-align: left; }
.null { color: #888; font-style: italic; } .gt { color: #b22; } .note { color: #555; font-size: 0.9rem; }
img { max-width: 100%; } dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dt { font-weight: 600; }
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


def _figure(figures: Mapping[str, bytes], name: str, alt: str) -> str:
    if name not in figures:
        return ""
    encoded = base64.b64encode(figures[name]).decode("ascii")
    return f'<p><img src="data:image/png;base64,{encoded}" alt="{esc(alt)}"></p>'


def _notes(notes: Iterable[str]) -> str:
    return "".join(f'<p class="note">{esc(note)}</p>' for note in notes)


def _header(data: ReportData, generated_at: datetime) -> str:
    items = [("run", data.run_label(data.run))]
    if data.compare is not None:
        items.append(("compared with", data.run_label(data.compare)))
    items.append(("slice", data.slice.label if data.slice else "no VSM scores for this run"))
    if len(data.available_slices) > 1:
        items.append(("other slices", "; ".join(s.label for s in data.available_slices if s != data.slice)))
    if data.ground_truth_sources:
        items.append(("ground truth", ", ".join(data.ground_truth_sources)))
    items += [("warehouse", data.warehouse), ("generated", generated_at.isoformat(timespec="seconds"))]
    listing = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f"<h1>culturewatch report: {esc(data.run.run_id)}</h1><dl>{listing}</dl>"


def _radar_section(data: ReportData, figures: Mapping[str, bytes]) -> str:
    parts = ["<h2>VSM 2013 dimensions vs Hofstede ground truth</h2>"]
    setting = (
        "aligned (each country prompted in its own language)"
        if data.profile_setting == ALIGNED
        else f"prompt language {data.profile_setting}"
    )
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
        cells = [f"{esc(profile.country_name)} ({esc(profile.country)})", str(profile.n_trials)]
        for d in DIMENSIONS:
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
    header = ["country", "trials", *(f"{d.upper()} model / GT" for d in DIMENSIONS)]
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
    header += ["trials", "dimensions"]
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
        cells += [str(row.n_trials), str(row.n_dimensions)]
        body.append(cells)
    return _table(header, body, label_column=1)


def _ranking_section(data: ReportData, figures: Mapping[str, bytes]) -> str:
    parts = [
        "<h2>Country ranking by deviation ratio</h2>",
        _notes(
            [
                "Overall deviation ratio (Sukiennik et al. Eq. 1, Table 3): deviation of the ground truth "
                "from the global average over the model's difference from the ground truth. Higher is "
                "better; 1 = no closer than the global average. Null values are undefined, not zero."
            ]
        ),
    ]
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
            if not any((code, d) in cells for d in DIMENSIONS):
                continue
            row = [f"{esc(name)} ({esc(code)})"]
            for d in DIMENSIONS:
                cell = cells.get((code, d))
                row.append(
                    null("absent") if cell is None else number(cell.deviation_ratio, 3, cell.null_reason)
                )
            rows.append(row)
        parts.append(f"<h3>{esc(setting)}</h3>")
        parts.append(_table(["country", *(d.upper() for d in DIMENSIONS)], rows))
    return "".join(parts)


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


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
        average = _mean(values[code].cas for code, _ in countries if code in values)
        cells.append(number(average, 2, "no value"))
        body.append(cells)
    if data.compare is not None:
        base, other = by_run[data.run.run_id], by_run[data.compare.run_id]
        deltas: list[float | None] = []
        for code, _ in countries:
            a, b = base.get(code), other.get(code)
            deltas.append(a.cas - b.cas if a and b and a.cas is not None and b.cas is not None else None)
        cells = ["Δ (this run − compare run)"]
        cells += [_delta(d, 0.0, 2) for d in deltas]
        cells.append(_delta(_mean(deltas), 0.0, 2))
        body.append(cells)
    n_questions = [
        f"{esc(code)}: {row.n_questions}"
        for code, _ in countries
        if (row := by_run[data.run.run_id].get(code))
    ]
    table = _table(["run", *(code for code, _ in countries), "Avg"], body)
    return table + (_notes([f"questions scored (this run): {', '.join(n_questions)}"]) if n_questions else "")


def _cas_section(data: ReportData, figures: Mapping[str, bytes]) -> str:
    parts = [
        "<h2>Cultural alignment score per country</h2>",
        _notes(
            [
                "CAS (CultureSPA Eq. 1): 100 × (1 − distance to the country's WVS majority answers / max "
                "distance). Higher is better. Avg = mean over the countries with a value; Δ Avg = mean of "
                "the per-country differences where both runs have a value."
            ]
        ),
        _notes(data.cas.notes),
    ]
    groups = data.cas_groups()
    if not groups:
        return "".join(parts)
    parts.append(_figure(figures, CAS, "bar chart of the cultural alignment score per country"))
    for label, rows in groups.items():
        parts.append(f"<h3>{esc(label)}</h3>")
        parts.append(_cas_table(rows, data))
    return "".join(parts)


def render_html(data: ReportData, figures: Mapping[str, bytes], generated_at: datetime | None = None) -> str:
    """The whole page; `figures` are PNG bytes keyed by the stems in culturewatch.reporting.figures."""
    when = generated_at or datetime.now(UTC)
    body = "".join(
        [
            _header(data, when),
            _radar_section(data, figures),
            _ranking_section(data, figures),
            _dimension_section(data, figures),
            _cas_section(data, figures),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>culturewatch report: {esc(data.run.run_id)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
