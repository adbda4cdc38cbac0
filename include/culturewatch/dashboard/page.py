"""The Alignment view as one self-contained HTML page (inline CSS and SVG, no script).

Model names, versions, countries, metric names and null reasons come from endpoints and configs
that culturewatch does not control: every one goes through `html.escape` (attributes quoted), URLs
are built with `urllib.parse`, and the app sends a Content-Security-Policy without scripts.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import quote

from culturewatch.dashboard.charts import bar_chart, fmt, heatmap, line_chart
from culturewatch.dashboard.queries import DIMENSIONS, STRATEGY, STYLE, VARIANT, Dashboard

PROBE_DAG_ID = "culturewatch_probe"
STATUS_CLASS = {
    "complete": "ok",
    "validated": "ok",
    "released": "ok",
    "running": "busy",
    "failed": "bad",
    "quarantined": "bad",
}

CSS = """
body { font-family: system-ui, sans-serif; margin: 16px 24px; color: #1f2933; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta, .note { color: #52606d; font-size: 13px; }
form { margin: 12px 0; display: flex; gap: 12px; flex-wrap: wrap; align-items: end; }
label { font-size: 13px; display: flex; flex-direction: column; gap: 2px; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #e4e7eb; border-radius: 6px; padding: 8px; }
figcaption { font-size: 13px; font-weight: 600; margin-bottom: 4px; }
svg text { font-size: 11px; fill: #323f4b; }
.axis { stroke: #9aa5b1; } .series { fill: none; stroke: #2563eb; stroke-width: 2; }
.point { fill: #2563eb; } .bar rect { fill: #0f766e; } .missing { fill: #9aa5b1; font-style: italic; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e4e7eb; }
th { text-align: left; background: #f5f7fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { padding: 1px 6px; border-radius: 8px; font-size: 12px; }
.status.ok { background: #d1fae5; } .status.bad { background: #fee2e2; } .status.busy { background: #fef3c7; }
.status.unknown { background: #e5e7eb; }
.empty { color: #52606d; font-style: italic; }
"""


def _q(value: float | None) -> str:
    return fmt(value, 4) if value is None or value >= 1e-3 else f"{value:.1e}"


def _when(value: datetime | None) -> str:
    return "" if value is None else escape(value.strftime("%Y-%m-%d %H:%M"))


def run_link(run_id: str | None, base_url: str = "", status_anchor: bool = True) -> str:
    """The probe DAG run of a data run in the Airflow UI (the watch DAG triggers it as probe__<id>),
    and the run's row in this page's status table."""
    if not run_id:
        return ""
    href = f"{base_url.rstrip('/')}/dags/{PROBE_DAG_ID}/runs/{quote('probe__' + run_id, safe='')}"
    link = f'<a href="{escape(href)}" target="_top" class="run-link">{escape(run_id)}</a>'
    if status_anchor:
        link += f' (<a href="#run-{escape(quote(run_id, safe=""))}">status</a>)'
    return link


def _status(status: str | None) -> str:
    name = status or "unknown"
    return f'<span class="status {STATUS_CLASS.get(name, "unknown")}">{escape(name)}</span>'


def _select(name: str, label: str, options: list[str], chosen: str | None) -> str:
    items = "".join(
        f'<option value="{escape(option)}"{" selected" if option == chosen else ""}>{escape(option)}</option>'
        for option in options
    )
    return f'<label>{escape(label)}<select name="{escape(name)}">{items}</select></label>'


def render_page(view: Dashboard, base_url: str = "") -> str:
    sections = [_header(view), _headlines(view), _heatmap(view), _ranking(view), _regressions(view, base_url)]
    sections.append(_runs(view, base_url))
    body = "\n".join(sections)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Alignment · culturewatch</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
        f"<body>{body}</body></html>"
    )


def render_unavailable(message: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Alignment · culturewatch</title>'
        f"<style>{CSS}</style></head><body><h1>Alignment</h1>"
        f'<p class="empty" id="unavailable">{escape(message)}</p></body></html>'
    )


def _header(view: Dashboard) -> str:
    missing = (
        '<p class="note" id="missing-marts">Marts not in this warehouse yet: '
        f"{escape(', '.join(view.missing_marts))}.</p>"
        if view.missing_marts
        else ""
    )
    if not view.models:
        return (
            "<h1>Alignment</h1>"
            '<p class="empty" id="no-models">No model in marts.model_leaderboard yet '
            f"({escape(view.warehouse)}).</p>"
            f"{missing}"
        )
    form = (
        '<form method="get">'
        + _select("model", "Model", view.models, view.model)
        + _select("version", "Version (heatmap, ranking)", view.versions, view.version)
        + (
            _select("setting", "Deviation-ratio setting", view.settings, view.setting)
            if view.settings
            else ""
        )
        + '<button type="submit">Show</button></form>'
    )
    return (
        f'<h1>Alignment of <span id="model-name">{escape(view.model or "")}</span></h1>'
        f'<p class="meta">From the marts of {escape(view.warehouse)} (read-only). Slice: style {STYLE}, '
        f"strategy {STRATEGY}, variant {VARIANT}.</p>{form}{missing}"
    )


def _headlines(view: Dashboard) -> str:
    if not view.models:
        return ""
    if not view.headlines:
        return '<h2>Headline metrics over versions</h2><p class="empty">No headline metric measured yet.</p>'
    figures = "".join(
        f"<figure><figcaption>{escape(series.label)}</figcaption>"
        f"{line_chart(series.column, series.label, series.points, series.value_range)}</figure>"
        for series in view.headlines
    )
    return (
        '<h2 id="headlines">Headline metrics over versions</h2>'
        '<p class="note">marts.model_leaderboard: one point per version, in the order they were first '
        "probed.</p>"
        f'<div class="grid">{figures}</div>'
    )


def _heatmap(view: Dashboard) -> str:
    if not view.models:
        return ""
    title = f"<h2>VSM scores by country × dimension, version {escape(view.version or '')}</h2>"
    if not view.heatmap:
        return title + '<p class="empty" id="heatmap-empty">No VSM scores for this version.</p>'
    return (
        title
        + f'<p class="note">marts.vsm_country_scores, run {escape(view.version_run_id or "")}: mean over '
        "trials and prompt languages, 0-100 (50 = all-neutral answers).</p>"
        + heatmap(view.heatmap, DIMENSIONS)
    )


def _ranking(view: Dashboard) -> str:
    if not view.models:
        return ""
    title = f"<h2>Country ranking by deviation ratio ({escape(view.setting or 'no setting')})</h2>"
    if not view.ranking:
        return title + '<p class="empty" id="ranking-empty">No deviation ratio for this version.</p>'
    rows = "".join(
        f'<tr class="rank-row" data-country="{escape(row.country)}"><td class="num">{index}</td>'
        f"<td>{escape(row.country)}</td><td class=num>{fmt(row.deviation_ratio)}</td>"
        f"<td class=num>{'' if row.n_trials is None else row.n_trials}</td>"
        f"<td class=num>{'' if row.n_dimensions is None else row.n_dimensions}</td>"
        f"<td>{escape(row.null_reason or '')}</td></tr>"
        for index, row in enumerate(view.ranking, start=1)
    )
    return (
        title
        + '<p class="note">marts.deviation_ratio, overall; higher is better (Sukiennik et al., Eq. 1).</p>'
        + bar_chart([(row.country, row.deviation_ratio, row.null_reason) for row in view.ranking])
        + '<table id="ranking"><tr><th>#</th><th>country</th><th>DR</th><th>trials</th><th>dimensions</th>'
        f"<th>null reason</th></tr>{rows}</table>"
    )


def _regressions(view: Dashboard, base_url: str) -> str:
    if not view.models:
        return ""
    title = '<h2 id="regressions-title">Open regressions</h2>'
    if view.regressions is None:
        return title + (
            '<p class="empty" id="regressions-absent">The alignment_regressions mart is not in this '
            "warehouse, "
            "so regressions cannot be shown.</p>"
        )
    if not view.regressions:
        return title + '<p class="empty" id="no-regressions">No open regression for this model.</p>'
    rows = "".join(
        f'<tr class="regression" data-id="{escape(row.regression_id)}"><td>{escape(row.metric)}</td>'
        f"<td>{escape(row.country or 'all (version mean)')}</td><td>{escape(row.prompt_language or '')}</td>"
        f"<td>{escape(row.previous_version)} → {escape(row.version)}</td>"
        f"<td class=num>{fmt(row.value_before)}</td><td class=num>{fmt(row.value_after)}</td>"
        f"<td class=num>{fmt(row.difference)}</td><td class=num>{_q(row.q_value)}</td>"
        f"<td>{run_link(row.previous_run_id, base_url)}</td><td>{run_link(row.run_id, base_url)}</td>"
        f"<td>{_when(row.detected_at)}</td></tr>"
        for row in view.regressions
    )
    return (
        title
        + '<p class="note">marts.alignment_regressions: comparable, significant regressions of the latest '
        "compared version (a newer version supersedes them).</p>"
        + '<table id="regressions"><tr><th>metric</th><th>country</th><th>language</th><th>versions</th>'
        "<th>before</th><th>after</th><th>difference</th><th>q</th><th>previous run</th><th>run</th>"
        f"<th>detected</th></tr>{rows}</table>"
    )


def _runs(view: Dashboard, base_url: str) -> str:
    if not view.models:
        return ""
    title = '<h2 id="runs-title">Runs and their data-quality status</h2>'
    if not view.runs:
        return title + '<p class="empty">No run of this model in marts.runs.</p>'
    rows = "".join(
        f'<tr class="run" id="run-{escape(quote(run.run_id, safe=""))}" '
        f'data-status="{escape(run.status or "")}">'
        f"<td>{run_link(run.run_id, base_url, status_anchor=False)}</td><td>{escape(run.model_version)}</td>"
        f"<td>{escape(run.instrument or '')}</td><td>{_status(run.status)}</td>"
        f"<td>{escape(run.status_reason or '')}</td><td>{_when(run.started_at)}</td><td>"
        f"{_when(run.finished_at)}</td>"
        f"<td class=num>{'' if run.cells_answered is None else run.cells_answered}/"
        f"{'' if run.cells_planned is None else run.cells_planned}</td>"
        f"<td class=num>{run.n_parse_ok}/{run.rows_on_disk}</td></tr>"
        for run in view.runs
    )
    return (
        title
        + '<p class="note">marts.runs: quarantined runs are left out of every other mart.</p>'
        + '<table id="runs"><tr><th>run</th><th>version</th><th>instrument</th><th>status</th><th>reason</th>'
        "<th>started</th><th>finished</th><th>cells</th><th>parsed</th></tr>"
        f"{rows}</table>"
    )
