"""The report's charts as PNG bytes (matplotlib's Agg canvas, no pyplot state, no display needed).

Null values are drawn as absent (a gap, a grey cell, a "null" label), never as 0.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from culturewatch.reporting.report_data import (
    ALIGNED,
    DIMENSIONS,
    CasRow,
    CountryProfile,
    DeviationRatioRow,
    ReportData,
)

MODEL_COLOUR = "#1f77b4"
TRUTH_COLOUR = "#d62728"
COMPARE_COLOUR = "#ff7f0e"
NULL_COLOUR = "#d9d9d9"
HEATMAP_MAX = 3.0

# File stems of the report's figures, in the order the page shows them.
RADAR, RANKING, DIMENSION_DR, CAS = "radar", "dr_ranking", "dr_dimensions", "cas"


def report_figures(data: ReportData) -> dict[str, bytes]:
    """Every figure the data supports, keyed by file stem; a section without data has no figure."""
    figures: dict[str, bytes] = {}
    run = data.run_label(data.run)
    if data.profiles:
        setting = (
            "aligned prompts"
            if data.profile_setting == ALIGNED
            else f"prompt language {data.profile_setting}"
        )
        figures[RADAR] = radar_png(data.profiles, f"VSM 2013 dimensions vs Hofstede, {setting}: {run}")
    if data.settings:
        compare = {
            (r.setting, r.country): r.deviation_ratio
            for r in data.compare_deviation_ratios
            if r.deviation_ratio is not None
        }
        figures[RANKING] = ranking_png(
            {s: data.ranking(s) for s in data.settings},
            f"Country ranking by deviation ratio: {run}",
            compare,
            f"compare run {data.run_label(data.compare)}" if data.compare else "",
        )
        figures[DIMENSION_DR] = dimension_heatmap_png(
            {s: data.per_dimension(s) for s in data.settings},
            data.dr_countries(),
            f"Deviation ratio per dimension: {run}",
        )
    groups = data.cas_groups()
    if groups:
        runs = [r for r in (data.run, data.compare) if r is not None]
        figures[CAS] = cas_png(
            groups,
            [r.run_id for r in runs],
            {r.run_id: data.run_label(r) for r in runs},
            "Cultural alignment score per country",
        )
    return figures


def plain(text: str) -> str:
    """Text from the warehouse shown literally (a `$` would otherwise start mathtext)."""
    return text.replace("$", r"\$")


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def radar_png(profiles: Sequence[CountryProfile], title: str) -> bytes:
    """One polar panel per country: mean model score per dimension vs Hofstede's ground truth."""
    columns = min(5, max(1, len(profiles)))
    rows = max(1, math.ceil(len(profiles) / columns))
    figure = Figure(figsize=(3.0 * columns, 3.2 * rows + 0.8), layout="constrained")
    angles = [2 * math.pi * i / len(DIMENSIONS) for i in range(len(DIMENSIONS))]
    closed = [*angles, angles[0]]
    for index, profile in enumerate(profiles):
        axes = figure.add_subplot(rows, columns, index + 1, projection="polar")
        model = [_nan(profile.model[d]) for d in DIMENSIONS]
        truth = [_nan(profile.ground_truth[d]) for d in DIMENSIONS]
        axes.plot(closed, [*model, model[0]], color=MODEL_COLOUR, linewidth=1.5, marker="o", markersize=3)
        axes.fill(angles, [0 if math.isnan(v) else v for v in model], color=MODEL_COLOUR, alpha=0.12)
        axes.plot(
            closed,
            [*truth, truth[0]],
            color=TRUTH_COLOUR,
            linewidth=1.2,
            linestyle="--",
            marker="s",
            markersize=3,
        )
        axes.set_xticks(angles, labels=[d.upper() for d in DIMENSIONS], fontsize=7)
        axes.set_ylim(0, 110)
        axes.set_yticks([25, 50, 75, 100], labels=[], fontsize=6)
        axes.set_title(plain(f"{profile.country_name} ({profile.country})"), fontsize=9)
    figure.legend(
        handles=[
            Patch(color=MODEL_COLOUR, label="model (mean over trials)"),
            Patch(color=TRUTH_COLOUR, label="Hofstede ground truth"),
        ],
        loc="outside lower center",
        ncols=2,
        fontsize=8,
    )
    figure.suptitle(plain(title), fontsize=11)
    return _png(figure)


def ranking_png(
    rows_by_setting: dict[str, Sequence[DeviationRatioRow]],
    title: str,
    compare: dict[tuple[str, str], float] | None = None,
    compare_label: str = "",
) -> bytes:
    """Horizontal bars of the overall deviation ratio per country, best first, one panel per setting;
    `compare` ((setting, country) -> DR of another run) is drawn as a tick on each bar."""
    settings = list(rows_by_setting)
    height = max(len(rows) for rows in rows_by_setting.values()) if settings else 1
    figure = Figure(figsize=(4.2 * max(1, len(settings)), 0.28 * height + 1.6), layout="constrained")
    for index, setting in enumerate(settings):
        axes = figure.add_subplot(1, max(1, len(settings)), index + 1)
        rows = list(rows_by_setting[setting])
        positions = list(range(len(rows)))
        values = [row.deviation_ratio for row in rows]
        axes.barh(positions, [0 if v is None else v for v in values], color=MODEL_COLOUR, height=0.7)
        for position, row in zip(positions, rows, strict=True):
            if row.deviation_ratio is None:
                axes.text(
                    0.02,
                    position,
                    plain(f"null: {row.null_reason or 'no value'}"),
                    va="center",
                    fontsize=7,
                    color="#555555",
                    transform=axes.get_yaxis_transform(),
                )
            else:
                axes.text(
                    row.deviation_ratio, position, f" {row.deviation_ratio:.2f}", va="center", fontsize=7
                )
        marks = [(compare or {}).get((setting, row.country)) for row in rows]
        marked = [(m, p) for m, p in zip(marks, positions, strict=True) if m is not None]
        if marked:
            axes.scatter(
                [m for m, _ in marked],
                [p for _, p in marked],
                marker="|",
                s=220,
                linewidths=2,
                color=COMPARE_COLOUR,
                zorder=3,
            )
        axes.axvline(1.0, color="#888888", linewidth=0.8, linestyle=":")
        axes.set_yticks(positions, labels=[plain(row.country_name) for row in rows], fontsize=7)
        axes.set_ylim(height - 0.5, -0.5)  # same bar thickness in every panel, best at the top
        axes.set_xlabel("deviation ratio (higher is better)", fontsize=8)
        axes.set_title(plain(setting), fontsize=9)
        known = [v for v in [*values, *marks] if v is not None]
        axes.set_xlim(0, max([1.2, *known]) * 1.18)
    if compare:
        handles = [
            Patch(color=MODEL_COLOUR, label="this run"),
            Patch(color=COMPARE_COLOUR, label=plain(compare_label)),
        ]
        figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8)
    figure.suptitle(plain(title), fontsize=11)
    return _png(figure)


def dimension_heatmap_png(
    rows_by_setting: dict[str, Sequence[DeviationRatioRow]], countries: Sequence[tuple[str, str]], title: str
) -> bytes:
    """Countries × dimensions of the per-dimension deviation ratio; null cells grey and labelled."""
    settings = list(rows_by_setting)
    figure = Figure(
        figsize=(3.6 * max(1, len(settings)) + 0.8, 0.3 * len(countries) + 1.8), layout="constrained"
    )
    # Per-dimension ratios can be very large (a near-zero difference); the colours saturate at
    # HEATMAP_MAX and every cell carries its number.
    norm = TwoSlopeNorm(vcenter=1.0, vmin=0.0, vmax=HEATMAP_MAX)
    colours = colormaps["RdYlGn"].with_extremes(bad="white", over=colormaps["RdYlGn"](1.0))
    image = None
    for index, setting in enumerate(settings):
        axes = figure.add_subplot(1, max(1, len(settings)), index + 1)
        cells = {(row.country, row.dimension): row for row in rows_by_setting[setting]}
        grid = [
            [_nan(cells[(c, d)].deviation_ratio) if (c, d) in cells else math.nan for d in DIMENSIONS]
            for c, _ in countries
        ]
        image = axes.imshow(grid, cmap=colours, norm=norm, aspect="auto")
        for y, (code, _) in enumerate(countries):
            for x, dimension in enumerate(DIMENSIONS):
                cell = cells.get((code, dimension))
                if cell is None:  # no row for this country in this setting: left blank
                    continue
                if cell.deviation_ratio is None:
                    axes.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, color=NULL_COLOUR))
                    axes.text(x, y, "null", ha="center", va="center", fontsize=6, color="#666666")
                else:
                    axes.text(x, y, f"{cell.deviation_ratio:.2f}", ha="center", va="center", fontsize=6)
        axes.set_xticks(range(len(DIMENSIONS)), labels=[d.upper() for d in DIMENSIONS], fontsize=7)
        axes.set_yticks(range(len(countries)), labels=[plain(name) for _, name in countries], fontsize=7)
        axes.set_title(plain(setting), fontsize=9)
    if image is not None:
        figure.colorbar(
            image,
            ax=figure.axes,
            shrink=0.6,
            extend="max",
            label="deviation ratio (1 = as close as the average)",
        )
    figure.suptitle(plain(title), fontsize=11)
    return _png(figure)


def cas_png(
    groups: dict[str, Sequence[CasRow]], run_ids: Sequence[str], labels: dict[str, str], title: str
) -> bytes:
    """Grouped bars of CAS per country (one bar per run), one panel per strategy/style/variant group."""
    colours = [MODEL_COLOUR, COMPARE_COLOUR]
    names = list(groups)
    widest = max((len({row.country for row in rows}) for rows in groups.values()), default=1)
    figure = Figure(
        figsize=(max(6.0, 0.55 * widest * len(run_ids) + 2), 3.0 * max(1, len(names)) + 0.6),
        layout="constrained",
    )
    for index, name in enumerate(names):
        axes = figure.add_subplot(max(1, len(names)), 1, index + 1)
        rows = groups[name]
        countries = sorted({(row.country, row.country_name) for row in rows})
        width = 0.8 / max(1, len(run_ids))
        for offset, run_id in enumerate(run_ids):
            by_country = {row.country: row.cas for row in rows if row.run_id == run_id}
            xs = [i + (offset - (len(run_ids) - 1) / 2) * width for i in range(len(countries))]
            heights = [by_country.get(code) for code, _ in countries]
            axes.bar(
                xs,
                [0 if h is None else h for h in heights],
                width=width,
                color=colours[offset % 2],
            )
            for x, h, (code, _) in zip(xs, heights, countries, strict=True):
                if h is None:
                    text = "null" if code in by_country else "absent"
                    axes.text(x, 1, text, rotation=90, ha="center", va="bottom", fontsize=6, color="#666666")
        axes.set_xticks(range(len(countries)), labels=[plain(code) for code, _ in countries], fontsize=7)
        axes.set_ylim(0, 100)
        axes.set_ylabel("CAS (0-100)", fontsize=8)
        axes.set_title(plain(name), fontsize=9)
    handles = [Patch(color=colours[i % 2], label=plain(labels[run_id])) for i, run_id in enumerate(run_ids)]
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8)
    figure.suptitle(plain(title), fontsize=11)
    return _png(figure)
