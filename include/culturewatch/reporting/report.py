"""`culturewatch report`: the paper-style figures of a run as one HTML page plus a PNG per figure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from culturewatch.reporting.figures import report_figures
from culturewatch.reporting.report_data import ReportOptions, load_report_data
from culturewatch.reporting.report_html import render_html
from culturewatch.settings import DataPaths

HTML_NAME = "report.html"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    images: tuple[Path, ...]


def default_out_dir(paths: DataPaths, run_id: str) -> Path:
    """<data dir>/reports/<run id>, the run id reduced to characters safe in a file name."""
    return paths.root / "reports" / re.sub(r"[^A-Za-z0-9._-]", "_", run_id)


def write_report(
    paths: DataPaths,
    options: ReportOptions,
    out_dir: Path | None = None,
    generated_at: datetime | None = None,
) -> ReportFiles:
    """Read the marts, draw the figures and write report.html (self-contained) and one PNG per figure."""
    data = load_report_data(paths, options)
    figures = report_figures(data)
    target = out_dir or default_out_dir(paths, options.run_id)
    target.mkdir(parents=True, exist_ok=True)
    images = []
    for stem, png in figures.items():
        image = target / f"{stem}.png"
        image.write_bytes(png)
        images.append(image)
    html_path = target / HTML_NAME
    html_path.write_text(render_html(data, figures, generated_at), encoding="utf-8")
    return ReportFiles(html_path, tuple(images))
