"""`culturewatch report`: the paper-style figures of a run and a leaderboard page across models.

Writes, into one folder: `report.html` (self-contained: figures inlined as SVG), `leaderboard.html`
(every model's latest version, Sukiennik's Table 3 across models), and every figure as a vector SVG
(text kept as text) and a 300-dpi PNG. A figure whose text would fall outside it is an error, not a
silently clipped image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from matplotlib.figure import Figure

from culturewatch.errors import CulturewatchError
from culturewatch.reporting.figure_files import RenderedFigure, clipped_texts, render, write
from culturewatch.reporting.figures import report_figures
from culturewatch.reporting.paper_data import load_models_data, load_paper_data
from culturewatch.reporting.paper_figures import HEADLINES, TABLE3, headlines_figure, table3_figure
from culturewatch.reporting.report_data import ReportOptions, load_report_data
from culturewatch.reporting.report_html import LEADERBOARD_NAME, render_html, render_leaderboard_html
from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import connect_warehouse

HTML_NAME = "report.html"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    leaderboard: Path
    images: tuple[Path, ...]  # every figure's SVG and PNG


def default_out_dir(paths: DataPaths, run_id: str) -> Path:
    """<data dir>/reports/<run id>, the run id reduced to characters safe in a file name."""
    return paths.root / "reports" / re.sub(r"[^A-Za-z0-9._-]", "_", run_id)


def rendered(figures: dict[str, Figure]) -> dict[str, RenderedFigure]:
    """Each figure rendered, after checking none of its text falls outside it."""
    done = {}
    for stem, figure in figures.items():
        clipped = clipped_texts(figure)
        if clipped:
            raise CulturewatchError(f"figure {stem}: text outside the figure: {clipped[:3]}")
        done[stem] = render(stem, figure)
    return done


def write_report(
    paths: DataPaths,
    options: ReportOptions,
    out_dir: Path | None = None,
    generated_at: datetime | None = None,
) -> ReportFiles:
    """Read the marts, draw the figures and write both pages and every figure's files."""
    when = generated_at or datetime.now(UTC)
    data = load_report_data(paths, options)
    with connect_warehouse(paths) as con:
        paper = load_paper_data(con, options.run_id, data.slice)
        models = load_models_data(con)
        from culturewatch.links import absolute, dag_run_ids, default_ui_url, run_path

        base = options.airflow_url or default_ui_url()
        runs = dag_run_ids(con, [run.run_id for run in models.runs])
    run_urls = {run_id: absolute(base, run_path(run_id, dag_run_id)) for run_id, dag_run_id in runs.items()}
    figures = rendered(report_figures(data, paper))
    model_figures: dict[str, Figure] = {}
    if models.leaderboard:
        model_figures[HEADLINES] = headlines_figure(models, "Headline metrics of each model's latest version")
    if models.runs and models.table3:
        model_figures[TABLE3] = table3_figure(
            models, f"Country ranking by deviation ratio across models (Sukiennik Table 3), {models.setting}"
        )
    leaderboard_figures = rendered(model_figures)
    target = out_dir or default_out_dir(paths, options.run_id)
    target.mkdir(parents=True, exist_ok=True)
    images: list[Path] = []
    for figure in (*figures.values(), *leaderboard_figures.values()):
        images.extend(write(figure, target))
    html_path = target / HTML_NAME
    html_path.write_text(render_html(data, figures, when, paper), encoding="utf-8")
    leaderboard_path = target / LEADERBOARD_NAME
    leaderboard_path.write_text(
        render_leaderboard_html(models, leaderboard_figures, run_urls, when), encoding="utf-8"
    )
    return ReportFiles(html_path, leaderboard_path, tuple(images))
