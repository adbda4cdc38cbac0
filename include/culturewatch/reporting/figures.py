"""The report's run figures as matplotlib Figures (Agg canvas, no pyplot state, no display needed);
culturewatch.reporting.figure_files saves them as SVG and 300-dpi PNG. The paper figures (Fig. 2,
Fig. 5, Table 3, the distributions) are in culturewatch.reporting.paper_figures.

Null values are drawn as absent (a gap, a grey cell, a "null" label), never as 0; an unstable
deviation ratio is hatched and starred.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib import colormaps
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from culturewatch.config.metrics import catalog
from culturewatch.marts import VSM_DIMENSIONS
from culturewatch.reporting.figure_files import finished, plain
from culturewatch.reporting.paper_data import PaperData
from culturewatch.reporting.paper_figures import (
    CHANGES,
    DISTRIBUTIONS,
    MATRIX,
    SCATTER,
    STYLES,
    changes_figure,
    distributions_figure,
    matrix_figure,
    scatter_figure,
    styles_figure,
)
from culturewatch.reporting.report_data import (
    ALIGNED,
    CasRow,
    CountryProfile,
    DeviationRatioRow,
    ReportData,
)

MODEL_COLOUR = "#1f77b4"
TRUTH_COLOUR = "#d62728"
COMPARE_COLOUR = "#ff7f0e"
UNSTABLE_COLOUR = "#b45309"
NULL_COLOUR = "#d9d9d9"
HEATMAP_MAX = 3.0

# File stems of the report's figures, in the order the page shows them.
RADAR, RANKING, DIMENSION_DR, CAS = "radar", "dr_ranking", "dr_dimensions", "cas"


def report_figures(data: ReportData, paper: PaperData | None = None) -> dict[str, Figure]:
    """Every figure the data supports, keyed by file stem; a section without data has no figure."""
    figures: dict[str, Figure] = {}
    run = data.run_label(data.run)
    if data.profiles:
        setting = (
            "aligned prompts"
            if data.profile_setting == ALIGNED
            else f"prompt language {data.profile_setting}"
        )
        figures[RADAR] = radar_figure(data.profiles, f"VSM 2013 dimensions vs Hofstede, {setting}: {run}")
    if data.settings:
        compare = {
            (r.setting, r.country): r.deviation_ratio
            for r in data.compare_deviation_ratios
            if r.deviation_ratio is not None
        }
        figures[RANKING] = ranking_figure(
            {s: data.ranking(s) for s in data.settings},
            f"Country ranking by deviation ratio: {run}",
            compare,
            f"compare run {data.run_label(data.compare)}" if data.compare else "",
        )
        figures[DIMENSION_DR] = dimension_heatmap_figure(
            {s: data.per_dimension(s) for s in data.settings},
            data.dr_countries(),
            f"Deviation ratio per dimension: {run}",
        )
    if paper is not None and paper.scatter:
        figures[SCATTER] = scatter_figure(
            paper.scatter,
            "Deviation from the global average vs difference from the ground truth "
            f"(Sukiennik Fig. 2): {run}",
        )
    if paper is not None and paper.changes:
        figures[CHANGES] = changes_figure(
            paper.changes, f"Change from the previous version, with 95% bootstrap intervals: {run}"
        )
    groups = data.cas_groups()
    if groups:
        runs = [r for r in (data.run, data.compare) if r is not None]
        figures[CAS] = cas_figure(
            groups,
            [r.run_id for r in runs],
            {r.run_id: data.run_label(r) for r in runs},
            "Cultural alignment score per country",
        )
    if paper is not None and paper.matrix:
        figures[MATRIX] = matrix_figure(
            paper.matrix, paper.correlations, f"Cross-cultural alignment (CultureSPA Fig. 5): {run}"
        )
    if paper is not None and paper.styles:
        figures[STYLES] = styles_figure(
            paper.styles, f"Distribution similarity per interaction style, 95% bootstrap intervals: {run}"
        )
    if paper is not None and paper.distributions:
        figures[DISTRIBUTIONS] = distributions_figure(
            paper.distributions, f"Model vs human answer distributions, least similar questions: {run}"
        )
    return figures


def profile_setting_text(setting: str) -> str:
    if setting == ALIGNED:
        return "aligned prompts (each country in its own language)"
    if setting.startswith(ALIGNED + "|"):
        return f"each country in its own language where asked, else {setting.split('|', 1)[1]}"
    return f"prompt language {setting}"


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def radar_figure(profiles: Sequence[CountryProfile], heading: str) -> Figure:
    """One polar panel per country (every country with scores): mean model score per dimension vs
    Hofstede's ground truth, the radial axis labelled 0-100."""
    columns = min(5, max(1, len(profiles)))
    rows = max(1, math.ceil(len(profiles) / columns))
    figure = Figure(figsize=(3.1 * columns, 3.3 * rows + 1.4), layout="constrained")
    angles = [2 * math.pi * i / len(VSM_DIMENSIONS) for i in range(len(VSM_DIMENSIONS))]
    closed = [*angles, angles[0]]
    for index, profile in enumerate(profiles):
        axes = figure.add_subplot(rows, columns, index + 1, projection="polar")
        model = [_nan(profile.model[d]) for d in VSM_DIMENSIONS]
        truth = [_nan(profile.ground_truth[d]) for d in VSM_DIMENSIONS]
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
        axes.set_xticks(angles, labels=[d.upper() for d in VSM_DIMENSIONS], fontsize=7)
        axes.set_ylim(0, 100)
        axes.set_yticks([25, 50, 75, 100], labels=["25", "50", "75", "100"], fontsize=6, color="#555555")
        axes.set_rlabel_position(90)
        axes.set_title(
            plain(f"{profile.country_name} ({profile.country}), {profile.prompt_language}"),
            fontsize=9,
            pad=10,
        )
    return finished(
        figure,
        heading,
        [
            Patch(color=MODEL_COLOUR, label="model (mean over trials)"),
            Patch(color=TRUTH_COLOUR, label="Hofstede ground truth"),
        ],
    )


def ranking_figure(
    rows_by_setting: dict[str, Sequence[DeviationRatioRow]],
    heading: str,
    compare: dict[tuple[str, str], float] | None = None,
    compare_label: str = "",
) -> Figure:
    """Horizontal bars of the overall deviation ratio per country, best first, one panel per setting;
    `compare` ((setting, country) -> DR of another run) is drawn as a tick on each bar."""
    info = catalog().info("deviation_ratio")
    settings = list(rows_by_setting)
    height = max(len(rows) for rows in rows_by_setting.values()) if settings else 1
    figure = Figure(figsize=(4.4 * max(1, len(settings)) + 0.6, 0.3 * height + 2.2), layout="constrained")
    for index, setting in enumerate(settings):
        axes = figure.add_subplot(1, max(1, len(settings)), index + 1)
        rows = list(rows_by_setting[setting])
        positions = list(range(len(rows)))
        values = [row.deviation_ratio for row in rows]
        colours = [UNSTABLE_COLOUR if row.is_unstable else MODEL_COLOUR for row in rows]
        axes.barh(positions, [0 if v is None else v for v in values], color=colours, height=0.7)
        known = [v for v in values if v is not None]
        marks = [(compare or {}).get((setting, row.country)) for row in rows]
        high = max([1.2, *known, *(m for m in marks if m is not None)]) * 1.3
        for position, row in zip(positions, rows, strict=True):
            if row.deviation_ratio is None:
                axes.text(
                    0.02 * high, position, plain(f"null: {row.null_reason or 'no value'}"), va="center",
                    fontsize=7, color="#555555",
                )  # fmt: skip
            else:
                star = "*" if row.is_unstable else ""
                axes.text(
                    row.deviation_ratio,
                    position,
                    f" {info.format(row.deviation_ratio)}{star}",
                    va="center",
                    fontsize=7,
                )
        marked = [(m, p) for m, p in zip(marks, positions, strict=True) if m is not None]
        if marked:
            axes.scatter(
                [m for m, _ in marked], [p for _, p in marked], marker="|", s=220, linewidths=2,
                color=COMPARE_COLOUR, zorder=3,
            )  # fmt: skip
        axes.axvline(1.0, color="#888888", linewidth=0.8, linestyle=":")
        axes.set_yticks(positions, labels=[plain(row.country_name) for row in rows], fontsize=7)
        axes.set_ylim(height - 0.5, -0.5)  # same bar thickness in every panel, best at the top
        axes.set_xlabel(f"deviation ratio ({info.direction_text})", fontsize=8)
        axes.set_title(plain(setting), fontsize=9)
        axes.set_xlim(0, high)
    handles = [Patch(color=MODEL_COLOUR, label="this run")]
    if any(row.is_unstable for rows in rows_by_setting.values() for row in rows):
        handles.append(Patch(color=UNSTABLE_COLOUR, label="* unstable (denominator < 5 points)"))
    if compare:
        handles.append(Patch(color=COMPARE_COLOUR, label=plain(compare_label)))
    return finished(figure, heading, handles)


def dimension_heatmap_figure(
    rows_by_setting: dict[str, Sequence[DeviationRatioRow]],
    countries: Sequence[tuple[str, str]],
    heading: str,
) -> Figure:
    """Countries × dimensions of the per-dimension deviation ratio; null cells grey and labelled;
    unstable ratios hatched and starred (a near-zero denominator makes them huge)."""
    info = catalog().info("deviation_ratio")
    settings = list(rows_by_setting)
    figure = Figure(
        figsize=(3.8 * max(1, len(settings)) + 1.6, 0.32 * len(countries) + 2.4), layout="constrained"
    )
    norm = TwoSlopeNorm(vcenter=1.0, vmin=0.0, vmax=HEATMAP_MAX)
    colours = colormaps["RdYlGn"].with_extremes(bad="white", over=colormaps["RdYlGn"](1.0))
    image = None
    for index, setting in enumerate(settings):
        axes = figure.add_subplot(1, max(1, len(settings)), index + 1)
        cells = {(row.country, row.dimension): row for row in rows_by_setting[setting]}
        grid = [
            [_nan(cells[(c, d)].deviation_ratio) if (c, d) in cells else math.nan for d in VSM_DIMENSIONS]
            for c, _ in countries
        ]
        image = axes.imshow(grid, cmap=colours, norm=norm, aspect="auto")
        for y, (code, _) in enumerate(countries):
            for x, dimension in enumerate(VSM_DIMENSIONS):
                cell = cells.get((code, dimension))
                if cell is None:  # no row for this country in this setting: left blank
                    continue
                if cell.deviation_ratio is None:
                    axes.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, color=NULL_COLOUR))
                    axes.text(x, y, "null", ha="center", va="center", fontsize=6, color="#666666")
                    continue
                if cell.is_unstable:
                    axes.add_patch(
                        Rectangle(
                            (x - 0.5, y - 0.5), 1, 1, fill=False, hatch="///", edgecolor=UNSTABLE_COLOUR
                        )
                    )
                shown = (
                    f"{cell.deviation_ratio:.2f}"
                    if cell.deviation_ratio < 100
                    else f"{cell.deviation_ratio:.0f}"
                )
                axes.text(
                    x, y, shown + ("*" if cell.is_unstable else ""), ha="center", va="center", fontsize=6
                )
        axes.set_xticks(range(len(VSM_DIMENSIONS)), labels=[d.upper() for d in VSM_DIMENSIONS], fontsize=7)
        axes.set_yticks(range(len(countries)), labels=[plain(name) for _, name in countries], fontsize=7)
        axes.set_title(plain(setting), fontsize=9)
    if image is not None:
        bar = figure.colorbar(image, ax=figure.axes, shrink=0.8, extend="max")
        bar.set_label(f"deviation ratio ({info.direction_text});\n1 = as close as the average", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    return finished(
        figure,
        heading,
        [
            Patch(
                facecolor="white",
                edgecolor=UNSTABLE_COLOUR,
                hatch="///",
                label="* unstable: denominator < 5 points",
            ),
            Patch(color=NULL_COLOUR, label="null (see the table's reason)"),
        ],
    )


def cas_figure(
    groups: dict[str, Sequence[CasRow]], run_ids: Sequence[str], labels: dict[str, str], heading: str
) -> Figure:
    """Grouped bars of CAS per country (one bar per run), one panel per strategy/style/variant group."""
    info = catalog().info("cas")
    colours = [MODEL_COLOUR, COMPARE_COLOUR]
    names = list(groups)
    widest = max((len({row.country for row in rows}) for rows in groups.values()), default=1)
    figure = Figure(
        figsize=(max(6.5, 0.55 * widest * len(run_ids) + 2.5), 3.2 * max(1, len(names)) + 1.2),
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
            axes.bar(xs, [0 if h is None else h for h in heights], width=width, color=colours[offset % 2])
            for x, h, (code, _) in zip(xs, heights, countries, strict=True):
                if h is None:
                    text = "null" if code in by_country else "absent"
                    axes.text(x, 2, text, rotation=90, ha="center", va="bottom", fontsize=6, color="#666666")
        axes.set_xticks(range(len(countries)), labels=[plain(code) for code, _ in countries], fontsize=7)
        axes.set_ylim(0, 100)
        axes.set_ylabel(f"CAS (0-100, {info.direction_text})", fontsize=8)
        axes.set_title(plain(name), fontsize=9)
    handles = [Patch(color=colours[i % 2], label=plain(labels[run_id])) for i, run_id in enumerate(run_ids)]
    return finished(figure, heading, handles)
