"""What every page of the Alignment view shares: the HTML shell, the style, the navigation, links.

Model names, versions, countries, metric names, prompts, replies and null reasons come from
endpoints and configs that culturewatch does not control: every one goes through `esc` (attributes
quoted), URLs are built with `urllib.parse` (culturewatch.links), and the app sends a
Content-Security-Policy without scripts. Pages link to each other under the app's mount point
(`Links.mount`: `/culturewatch` inside Airflow) and to Airflow's pages under `Links.airflow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from culturewatch.config.metrics import MetricInfo
from culturewatch.links import airflow_run_path, run_path, view_path

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
h3 { font-size: 15px; margin: 16px 0 6px; }
nav { font-size: 13px; margin-bottom: 8px; } nav a { margin-right: 14px; }
.meta, .note { color: #52606d; font-size: 13px; max-width: 1100px; }
form { margin: 12px 0; display: flex; gap: 12px; flex-wrap: wrap; align-items: end; }
label { font-size: 13px; display: flex; flex-direction: column; gap: 2px; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #e4e7eb; border-radius: 6px; padding: 8px; }
figcaption { font-size: 13px; font-weight: 600; margin-bottom: 4px; max-width: 540px; }
figcaption .how { font-weight: 400; color: #52606d; display: block; }
svg text { font-size: 11px; fill: #323f4b; }
.axis { stroke: #9aa5b1; } .series { fill: none; stroke: #2563eb; stroke-width: 2; }
.point { fill: #2563eb; } .bar rect { fill: #0f766e; } .missing { fill: #9aa5b1; font-style: italic; }
.flagged { fill: #b45309; } .gt { fill: #b91c1c; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { text-align: left; background: #f5f7fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status { padding: 1px 6px; border-radius: 8px; font-size: 12px; }
.status.ok { background: #d1fae5; } .status.bad { background: #fee2e2; } .status.busy { background: #fef3c7; }
.status.unknown { background: #e5e7eb; }
.flag { background: #fef3c7; border-radius: 6px; padding: 0 4px; font-size: 12px; white-space: nowrap; }
.empty { color: #52606d; font-style: italic; }
dl.how-to-read { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; font-size: 13px; }
dl.how-to-read dt { font-weight: 600; } dl.how-to-read dd { margin: 0; color: #323f4b; }
pre.reply, pre.prompt { white-space: pre-wrap; max-width: 640px; margin: 0; font-size: 12px; }
"""


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def when(value: datetime | None) -> str:
    return "" if value is None else esc(value.strftime("%Y-%m-%d %H:%M"))


def status_badge(status: str | None) -> str:
    name = status or "unknown"
    return f'<span class="status {STATUS_CLASS.get(name, "unknown")}">{esc(name)}</span>'


def flag(text: str, title: str = "") -> str:
    hint = f' title="{esc(title)}"' if title else ""
    return f'<span class="flag"{hint}>{esc(text)}</span>'


def number(info: MetricInfo, value: float | None, reason: str | None = None) -> str:
    """A metric value at its precision; null with its reason, never 0."""
    if value is None:
        return f'<span class="empty">null{f" ({esc(reason)})" if reason else ""}</span>'
    return esc(info.format(value))


def direction_arrow(info: MetricInfo) -> str:
    return {"higher": "↑ higher is better", "lower": "↓ lower is better"}.get(info.direction, "")


@dataclass(frozen=True)
class Links:
    """Where the view's own pages and Airflow's pages are, seen from the browser."""

    mount: str = ""  # the app's mount point ("" when served alone, "/culturewatch" in Airflow)
    airflow: str = ""  # the Airflow UI's base URL ("" = the same origin)

    def page(self, name: str = "", /, **params: object) -> str:
        return view_path(name, self.mount, **params)

    def run(self, run_id: str, dag_run_id: str | None) -> str:
        """A probe run's page: its Airflow DAG run when it ran under Airflow, else the view's."""
        if dag_run_id:
            return f"{self.airflow.rstrip('/')}{airflow_run_path(dag_run_id)}"
        return run_path(run_id, None, self.mount)

    def run_link(self, run_id: str | None, dag_run_id: str | None) -> str:
        """The run id linked to its run page (Airflow's in the top window, framed by Airflow)."""
        if not run_id:
            return ""
        target = ' target="_top"' if dag_run_id else ""
        return (
            f'<a href="{esc(self.run(run_id, dag_run_id))}"{target} class="run-link" '
            f'data-run="{esc(run_id)}">{esc(run_id)}</a>'
        )


def navigation(links: Links, model: str | None = None) -> str:
    items = [
        f'<a href="{esc(links.page(model=model))}">Model view</a>',
        f'<a href="{esc(links.page("leaderboard"))}">Leaderboard (all models)</a>',
    ]
    return f"<nav>{''.join(items)}</nav>"


def html_page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)} · culturewatch</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
        f"<body>{body}</body></html>"
    )


def how_to_read(entries: list[tuple[str, MetricInfo]]) -> str:
    """A definition list: each metric's direction and one-line meaning (config/metrics.yaml)."""
    items = "".join(
        f"<dt>{esc(name)}</dt><dd>{esc(info.direction_text)}: {esc(info.meaning)} "
        f"<span class='note'>({esc(info.unit)})</span></dd>"
        for name, info in entries
    )
    return f'<dl class="how-to-read" id="how-to-read">{items}</dl>'
