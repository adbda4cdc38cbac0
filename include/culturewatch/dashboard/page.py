"""The Alignment view's model page: one self-contained HTML page (inline CSS and SVG, no script).

Every number says how to read it (direction and meaning from config/metrics.yaml, what it averages
over, flags for unstable ratios and differing coverage) and leads to what is behind it: a heatmap
cell or a ranking row to the raw answers, a run to its page. Escaping rules: dashboard.layout.
"""

from __future__ import annotations

from culturewatch.config.metrics import MetricInfo, catalog, count_text, format_share, relative_change
from culturewatch.dashboard.charts import Bar, HeatCell, bar_chart, colour_legend, heatmap, line_chart
from culturewatch.dashboard.layout import (
    Links,
    direction_arrow,
    esc,
    flag,
    how_to_read,
    html_page,
    navigation,
    number,
    status_badge,
    when,
)
from culturewatch.dashboard.queries import (
    STRATEGY,
    STYLE,
    VARIANT,
    ComparedRow,
    Dashboard,
)
from culturewatch.marts import VSM_DIMENSIONS, RegressionRow

UNSTABLE_HINT = (
    "unstable ratio: its denominator (mean |score - ground truth|) is under 5 score points, less "
    "than one answer step of the VSM formulas, so the ratio mostly measures that coincidence"
)


def _select(name: str, label: str, options: list[str], chosen: str | None, empty: str | None = None) -> str:
    items = f'<option value="">{esc(empty)}</option>' if empty is not None else ""
    items += "".join(
        f'<option value="{esc(option)}"{" selected" if option == chosen else ""}>{esc(option)}</option>'
        for option in options
    )
    return f'<label>{esc(label)}<select name="{esc(name)}">{items}</select></label>'


def _q(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2g}"


def render_page(view: Dashboard, links: Links | None = None) -> str:
    links = links or Links()
    sections = [navigation(links, view.model), _header(view)]
    if view.models:  # else the header says there is none yet
        sections += [
            _how_to_read(view),
            _headlines(view),
            _heatmap(view, links),
            _ranking(view, links),
            _comparison(view, links),
            _regressions(view, links),
            _runs(view, links),
        ]
    return html_page("Alignment", "\n".join(sections))


def render_unavailable(message: str) -> str:
    return html_page("Alignment", f'<h1>Alignment</h1><p class="empty" id="unavailable">{esc(message)}</p>')


def _header(view: Dashboard) -> str:
    missing = (
        '<p class="note" id="missing-marts">Marts not in this warehouse yet: '
        f"{esc(', '.join(view.missing_marts))}.</p>"
        if view.missing_marts
        else ""
    )
    if not view.models:
        return (
            "<h1>Alignment</h1>"
            '<p class="empty" id="no-models">No model in marts.model_leaderboard yet '
            f"({esc(view.warehouse)}).</p>{missing}"
        )
    form = (
        '<form method="get">'
        + _select("model", "Model", view.models, view.model)
        + _select("version", "Version", view.versions, view.version)
        + _select(
            "compare", "Compared with", [v for v in view.versions if v != view.version], view.compare, "—"
        )
        + (
            _select("setting", "Deviation-ratio setting", view.settings, view.setting)
            if view.settings
            else ""
        )
        + '<button type="submit">Show</button></form>'
    )
    return (
        f'<h1>Alignment of <span id="model-name">{esc(view.model or "")}</span></h1>'
        f'<p class="meta">From the marts of {esc(view.warehouse)} (read-only). Slice: style {STYLE}, '
        f"strategy {STRATEGY}, variant {VARIANT}.</p>{form}{missing}"
    )


def _how_to_read(view: Dashboard) -> str:
    entries = [(series.info.label, series.info) for series in view.headlines]
    entries.append((catalog().info("vsm_score").label, catalog().info("vsm_score")))
    unique = list({name: (name, info) for name, info in entries}.values())
    return "<h2>How to read these numbers</h2>" + how_to_read(unique)


def _headlines(view: Dashboard) -> str:
    if not view.headlines:
        return '<h2>Headline metrics over versions</h2><p class="empty">No headline metric measured yet.</p>'
    figures = "".join(
        f"<figure><figcaption>{esc(series.label)} <span class='how'>{esc(direction_arrow(series.info))}; "
        f"n = {esc(series.headline.coverage.unit)} averaged"
        f"{'; * = includes unstable ratios' if series.headline.unstable else ''}</span></figcaption>"
        + line_chart(
            series.headline.column, series.label, series.info, series.points, series.headline.coverage.unit
        )
        + "</figure>"
        for series in view.headlines
    )
    return (
        '<h2 id="headlines">Headline metrics over versions</h2>'
        '<p class="note">marts.model_leaderboard: one point per version, in the order they were first '
        "probed. Under each point: how many it averages (n); ≠ marks a coverage different from the "
        "previous point's, so the two are not like for like.</p>"
        f'<div class="grid">{figures}</div>'
    )


def _heatmap(view: Dashboard, links: Links) -> str:
    title = f"<h2>VSM scores by country × dimension, version {esc(view.version or '')}</h2>"
    if not view.heatmap:
        return title + '<p class="empty" id="heatmap-empty">No VSM scores for this version.</p>'
    info = catalog().info("vsm_score")
    cells = {
        country: {
            dim: HeatCell(
                score,
                truth,
                links.page("answers", run_id=view.version_run_id, country=country, dimension=dim),
            )
            for dim, (score, truth) in dims.items()
        }
        for country, dims in view.heatmap.items()
    }
    trials = ", ".join(f"{esc(country)} {n}" for country, n in view.heatmap_trials.items())
    return (
        title + '<p class="note">marts.vsm_country_scores, run'
        f" {links.run_link(view.version_run_id, view.dag_run_ids.get(view.version_run_id or ''))}: "
        f"the model's mean over trials and prompt languages ({esc(info.meaning)}), with Hofstede's "
        f"published score in brackets. Passes averaged: {trials}. Click a cell for the answers behind it.</p>"
        + heatmap(cells, VSM_DIMENSIONS, info)
        + colour_legend(
            "heatmap-legend",
            "model score (0-100)",
            [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
            ("low end of the dimension", "high end"),
        )
    )


def _ranking(view: Dashboard, links: Links) -> str:
    info = catalog().info("deviation_ratio")
    title = f"<h2>Country ranking by deviation ratio ({esc(view.setting or 'no setting')})</h2>"
    if not view.ranking:
        return title + '<p class="empty" id="ranking-empty">No deviation ratio for this version.</p>'
    rows = []
    for index, row in enumerate(view.ranking, start=1):
        flags = []
        if row.is_unstable:
            flags.append(flag("unstable", UNSTABLE_HINT))
        if row.note:
            flags.append(flag(row.note))
        answers = links.page("answers", run_id=view.version_run_id, country=row.country)
        rows.append(
            f'<tr class="rank-row" data-country="{esc(row.country)}"><td class="num">{index}</td>'
            f"<td>{esc(row.country)}</td><td class=num>"
            f"{number(info, row.deviation_ratio, row.null_reason)}</td>"
            f"<td class=num>{esc(info.format(row.numerator))}</td><td class=num>"
            f"{esc(info.format(row.denominator))}</td>"
            f"<td class=num>{'' if row.n_dimensions is None else row.n_dimensions}</td>"
            f"<td class=num>{'' if row.n_trials is None else row.n_trials}</td>"
            f"<td>{' '.join(flags)}</td>"
            f'<td><a class="drill" href="{esc(answers)}">answers</a></td></tr>'
        )
    bars = [Bar(row.country, row.deviation_ratio, row.null_reason, row.is_unstable) for row in view.ranking]
    return (
        title + f'<p class="note">{esc(info.label)}, {esc(info.direction_text)}: {esc(info.meaning)} '
        "DR = numerator / denominator; the denominator is the model's mean distance to Hofstede in "
        "score points (* and amber: unstable, under 5 points).</p>"
        + bar_chart(bars, info)
        + '<table id="ranking"><tr><th>#</th><th>country</th><th>DR ↑</th><th>numerator</th>'
        "<th>denominator</th><th>dimensions</th><th>passes</th><th>notes</th><th></th></tr>"
        f"{''.join(rows)}</table>"
    )


def _info(row: ComparedRow | RegressionRow) -> MetricInfo:
    kind = getattr(row, "metric_kind", None)
    if kind and kind in catalog().metrics:
        return catalog().info(kind)
    from culturewatch.alerts.messages import metric_text

    return metric_text(row.metric).info


def _comparison(view: Dashboard, links: Links) -> str:
    title = '<h2 id="compare">Compare two versions</h2>'
    comparison = view.comparison
    if comparison is None:
        return title + '<p class="empty" id="compare-empty">Choose a version to compare with above.</p>'
    if not comparison.rows:
        return (
            title + '<p class="empty" id="compare-empty">No alignment_history values for these versions.</p>'
        )
    intro = (
        f'<p class="note" id="compare-intro">{esc(comparison.compare)} → {esc(comparison.version)}: each '
        "version's latest eligible run per metric (marts.alignment_history), side by side. "
        + (
            "These versions are a consecutive comparable pair: q and the interval are the regression "
            "test's (marts.alignment_regressions)."
            if comparison.tested
            else "Not a pair the regression test compares (it compares consecutive comparable versions): "
            "the change is the difference of the two values, without a significance test."
        )
        + "</p>"
    )
    if comparison.not_comparable:
        intro += (
            f'<p class="note" id="not-comparable">{flag("not comparable")}'
            f" {esc(comparison.not_comparable)}</p>"
        )
    body = []
    for row in comparison.rows:
        info = _info(row)
        before_run, after_run = comparison.runs.get(row.metric, (None, None))
        where = (
            "all countries"
            if row.country is None and row.prompt_language is None
            else (f"{row.country or 'all'}/{row.prompt_language or 'all'}")
        )
        test = row.regression
        flags = [flag(row.why_not)] if row.why_not else []
        if row.unstable:
            flags.append(flag("unstable", UNSTABLE_HINT))
        change = row.difference
        drill = ""
        if row.country is not None and before_run and after_run:
            before_answers = links.page("answers", run_id=before_run, country=row.country)
            after_answers = links.page("answers", run_id=after_run, country=row.country)
            drill = (
                f'<a class="drill" href="{esc(before_answers)}">before</a> · '
                f'<a class="drill" href="{esc(after_answers)}">after</a>'
            )
        relative = "–" if change is None else esc(format_share(relative_change(change, row.before)))
        body.append(
            f'<tr class="compared" data-metric="{esc(row.metric)}" data-country="{esc(row.country or "")}" '
            f'data-compared="{str(row.compared).lower()}">'
            f"<td>{esc(row.metric)}<br><span class='note'>{esc(direction_arrow(info))}</span></td>"
            f"<td>{esc(where)}</td>"
            f"<td class=num>{number(info, row.before, row.before_reason)}</td>"
            f"<td class=num>{number(info, row.after, row.after_reason)}</td>"
            f"<td class=num>{esc(info.format_change(change)) if change is not None else '–'}</td>"
            f"<td class=num>{relative}</td>"
            f"<td class=num>{_interval(info, test, row.before)}</td>"
            f"<td class=num>{_q(test.q_value) if test else '–'}</td>"
            f"<td>{esc(test.direction) if test else ''}</td>"
            f"<td>{esc(_coverage(row.n_before, row.n_after, row.n_unit))}</td>"
            f"<td>{' '.join(flags)}</td><td>{drill}</td></tr>"
        )
    return (
        title
        + intro
        + '<table id="comparison"><tr><th>metric</th><th>where</th><th>before</th><th>after</th>'
        "<th>change</th><th>relative</th><th>95% interval</th><th>q</th><th>verdict</th><th>over</th>"
        f"<th>notes</th><th>answers</th></tr>{''.join(body)}</table>"
    )


def _coverage(n_before: int | None, n_after: int | None, unit: str | None) -> str:
    unit = unit or ""
    if n_before == n_after:
        return "" if n_after is None else count_text(n_after, unit)
    return f"{'–' if n_before is None else n_before} → {'–' if n_after is None else n_after} {unit}".strip()


def _interval(info: MetricInfo, row: RegressionRow | None, before: float | None) -> str:
    if row is None or row.ci_low is None or row.ci_high is None:
        return "–"
    return (
        f"[{esc(info.format_change(row.ci_low))}, {esc(info.format_change(row.ci_high))}]"
        f"<br><span class='note'>[{esc(format_share(relative_change(row.ci_low, before)))}, "
        f"{esc(format_share(relative_change(row.ci_high, before)))}]</span>"
    )


def _regressions(view: Dashboard, links: Links) -> str:
    title = '<h2 id="regressions-title">Open regressions</h2>'
    if view.regressions is None:
        return title + (
            '<p class="empty" id="regressions-absent">The alignment_regressions mart is not in this '
            "warehouse, so regressions cannot be shown.</p>"
        )
    if not view.regressions:
        return title + '<p class="empty" id="no-regressions">No open regression for this model.</p>'
    body = []
    for row in view.regressions:
        info = _info(row)
        flags = [flag("unstable", UNSTABLE_HINT)] if row.is_unstable else []
        if row.coverage_differs:
            flags.append(flag(f"coverage {_coverage(row.n_before, row.n_after, row.n_unit)}"))
        body.append(
            f'<tr class="regression" data-id="{esc(row.regression_id)}"><td>{esc(row.metric)}'
            f"<br><span class='note'>{esc(direction_arrow(info))}</span></td>"
            f"<td>{esc(row.country or 'all (version mean)')}</td><td>{esc(row.prompt_language or '')}</td>"
            f"<td>{esc(row.previous_version)} → {esc(row.version)}</td>"
            f"<td class=num>{esc(info.format(row.value_before))}</td><td class=num>"
            f"{esc(info.format(row.value_after))}</td>"
            f"<td class=num>{esc(info.format_change(row.difference))}</td>"
            f"<td class=num>{esc(format_share(relative_change(row.difference, row.value_before)))}</td>"
            f"<td class=num>{_interval(info, row, row.value_before)}</td>"
            f"<td class=num>{_q(row.q_value)}</td>"
            f"<td>{esc(_coverage(row.n_before, row.n_after, row.n_unit))}</td><td>{' '.join(flags)}</td>"
            f"<td>{links.run_link(row.previous_run_id, view.dag_run_ids.get(row.previous_run_id or ''))}</td>"
            f"<td>{links.run_link(row.run_id, view.dag_run_ids.get(row.run_id or ''))}</td>"
            f"<td>{when(row.detected_at)}</td></tr>"
        )
    return (
        title
        + '<p class="note">marts.alignment_regressions: comparable, significant regressions of the latest '
        "compared version (a newer version supersedes them). Change = after − before, signed so that "
        "negative is worse; the interval is the paired bootstrap's, q the Benjamini–Hochberg q-value.</p>"
        + '<table id="regressions"><tr><th>metric</th><th>country</th><th>language</th><th>versions</th>'
        "<th>before</th><th>after</th><th>change</th><th>relative</th><th>95% interval</th><th>q</th>"
        "<th>over</th><th>notes</th><th>previous run</th><th>run</th>"
        f"<th>detected</th></tr>{''.join(body)}</table>"
    )


def _runs(view: Dashboard, links: Links) -> str:
    title = '<h2 id="runs-title">Runs and their data-quality status</h2>'
    if not view.runs:
        return title + '<p class="empty">No run of this model in marts.runs.</p>'
    body = "".join(
        f'<tr class="run" id="run-{esc(run.run_id)}" data-status="{esc(run.status or "")}">'
        f"<td>{links.run_link(run.run_id, view.dag_run_ids.get(run.run_id))}</td><td>"
        f"{esc(run.model_version)}</td>"
        f"<td>{esc(run.instrument or '')}</td><td>{status_badge(run.status)}</td>"
        f"<td>{esc(run.status_reason or '')}</td><td>{when(run.started_at)}</td><td>"
        f"{when(run.finished_at)}</td>"
        f"<td class=num>{'' if run.cells_answered is None else run.cells_answered}/"
        f"{'' if run.cells_planned is None else run.cells_planned}</td>"
        f"<td class=num>{run.n_parse_ok}/{run.rows_on_disk}</td>"
        f'<td><a class="drill" href="{esc(links.page("run", run_id=run.run_id))}">details</a> · '
        f'<a class="drill" href="{esc(links.page("answers", run_id=run.run_id))}">answers</a></td></tr>'
        for run in view.runs
    )
    return (
        title
        + '<p class="note">marts.runs: quarantined runs are left out of every other mart. A run links to '
        "its Airflow DAG run when it was probed under Airflow, else to its page here.</p>"
        + '<table id="runs"><tr><th>run</th><th>version</th><th>instrument</th><th>status</th><th>reason</th>'
        "<th>started</th><th>finished</th><th>cells</th><th>parsed</th><th></th></tr>"
        f"{body}</table>"
    )
