"""The seed papers' figures from the marts (culturewatch.reporting.paper_data), as matplotlib
Figures: Sukiennik's Fig. 2 scatter and Table 3 across models, CultureSPA's Fig. 5 matrices,
Bravansky's model-vs-human distributions per question and style and similarity per style with
bootstrap error bars, the change from the previous version with its bootstrap interval, and the
headline metrics across models."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib import colormaps
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from culturewatch.config.metrics import catalog
from culturewatch.marts import RegressionRow
from culturewatch.reporting.figure_files import finished, legend, plain, title
from culturewatch.reporting.paper_data import (
    Distribution,
    MatrixCell,
    ModelsData,
    ScatterPoint,
    StyleSimilarity,
)

SCATTER, CHANGES, MATRIX, STYLES, DISTRIBUTIONS = (
    "dr_scatter",
    "changes",
    "culturespa_matrix",
    "similarity_styles",
    "distributions",
)
TABLE3, HEADLINES = "table3_models", "headlines_models"
MODEL_COLOUR, HUMAN_COLOUR, UNSTABLE_COLOUR = "#1f77b4", "#7f7f7f", "#b45309"
STYLE_COLOURS = {"classification": "#1f77b4", "cot": "#2ca02c", "scenario": "#9467bd"}


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def scatter_figure(points: Sequence[ScatterPoint], heading: str) -> Figure:
    """Sukiennik Fig. 2: per country, the deviation of its ground truth from the global average
    (y, the DR's numerator) against the model's difference from the ground truth (x, its
    denominator). DR = y / x: points above the diagonal have DR > 1. One panel per setting."""
    settings = list(dict.fromkeys(point.setting for point in points))
    figure = Figure(figsize=(4.6 * len(settings) + 0.4, 5.0), layout="constrained")
    high = max(max(p.numerator, p.denominator) for p in points) * 1.15
    for index, setting in enumerate(settings):
        axes = figure.add_subplot(1, len(settings), index + 1)
        mine = [p for p in points if p.setting == setting]
        axes.plot([0, high], [0, high], color="#888888", linewidth=0.8, linestyle=":", label="DR = 1")
        for point in mine:
            colour = UNSTABLE_COLOUR if point.is_unstable else MODEL_COLOUR
            axes.scatter([point.denominator], [point.numerator], color=colour, s=18, zorder=3)
            axes.annotate(plain(point.country), (point.denominator, point.numerator), fontsize=6,
                          xytext=(3, 2), textcoords="offset points", annotation_clip=True)  # fmt: skip
        axes.set_xlim(0, high)
        axes.set_ylim(0, high)
        axes.set_xlabel("difference from ground truth\n(mean |score - GT|, points)", fontsize=8)
        axes.set_ylabel("deviation of ground truth from\nthe global average (points)", fontsize=8)
        axes.set_title(plain(setting), fontsize=9)
        axes.tick_params(labelsize=7)
    return finished(
        figure,
        heading,
        [
            Patch(color=MODEL_COLOUR, label="country (DR = y / x; above the diagonal: DR > 1)"),
            Patch(color=UNSTABLE_COLOUR, label="unstable (x < 5 points)"),
        ],
    )


def changes_figure(rows: Sequence[RegressionRow], heading: str) -> Figure:
    """The change of each headline metric from the previous version (alignment_regressions), as
    bars with their paired-bootstrap 95% intervals as error bars; one panel per metric."""
    from culturewatch.alerts.messages import metric_text

    metrics = list(dict.fromkeys(row.metric for row in rows))
    tallest = max(len([r for r in rows if r.metric == m]) for m in metrics)
    lines = math.ceil(len(metrics) / 2)
    figure = Figure(
        figsize=(5.2 * min(2, len(metrics)) + 0.6, (0.3 * tallest + 1.8) * lines + 1.2), layout="constrained"
    )
    for index, metric in enumerate(metrics):
        axes = figure.add_subplot(lines, min(2, len(metrics)), index + 1)
        mine = [r for r in rows if r.metric == metric and r.difference is not None]
        labels = [
            r.country or "mean" if r.prompt_language is None else f"{r.country or 'all'}/{r.prompt_language}"
            for r in mine
        ]
        values = [r.difference for r in mine]
        low = [r.difference - r.ci_low if r.ci_low is not None else 0 for r in mine]
        high = [r.ci_high - r.difference if r.ci_high is not None else 0 for r in mine]
        colours = [
            "#d62728"
            if r.direction == "regression"
            else "#2ca02c"
            if r.direction == "improvement"
            else MODEL_COLOUR
            for r in mine
        ]
        axes.barh(
            range(len(mine)), values, xerr=[low, high], color=colours, height=0.6, capsize=3, ecolor="#333333"
        )
        axes.axvline(0, color="#555555", linewidth=0.8)
        axes.set_yticks(range(len(mine)), labels=[plain(label) for label in labels], fontsize=7)
        axes.set_ylim(len(mine) - 0.5, -0.5)
        text = metric_text(metric)
        axes.set_xlabel(f"change ({text.info.direction_text}; negative = worse)", fontsize=8)
        axes.set_title(plain(metric), fontsize=9)
        axes.tick_params(axis="x", labelsize=7)
    return finished(
        figure,
        heading,
        [
            Patch(color="#d62728", label="regression"),
            Patch(color="#2ca02c", label="improvement"),
            Patch(color=MODEL_COLOUR, label="no change (within threshold or not significant)"),
        ],
        legend_size=7,
    )


def matrix_figure(
    cells: Sequence[MatrixCell], correlations: dict[tuple[str, str], float | None], heading: str
) -> Figure:
    """CultureSPA Fig. 5: the culture × culture alignment matrix of the WVS reference and of the
    model's answers, per strategy, with Pearson's r between them."""
    strategies = list(dict.fromkeys(cell.strategy for cell in cells))
    cultures = sorted({cell.culture_i for cell in cells} | {cell.culture_j for cell in cells})
    size = 0.32 * len(cultures) + 2.2
    figure = Figure(figsize=(2 * size + 1.2, size * len(strategies) + 1.2), layout="constrained")
    norm = TwoSlopeNorm(vmin=0, vcenter=50, vmax=100)
    image = None
    for row, strategy in enumerate(strategies):
        mine = {(c.culture_i, c.culture_j): c for c in cells if c.strategy == strategy}
        for column, (name, field) in enumerate((("WVS reference", "reference"), ("model", "model"))):
            axes = figure.add_subplot(len(strategies), 2, 2 * row + column + 1)
            values = {key: getattr(cell, field) for key, cell in mine.items()}
            grid = [[_nan(values.get((a, b))) for b in cultures] for a in cultures]
            image = axes.imshow(grid, cmap=colormaps["viridis"], norm=norm)
            axes.set_xticks(
                range(len(cultures)), labels=[plain(c) for c in cultures], fontsize=6, rotation=90
            )
            axes.set_yticks(range(len(cultures)), labels=[plain(c) for c in cultures], fontsize=6)
            r = correlations.get((strategy, "model_vs_model")) if field == "model" else None
            suffix = f", r = {r:.2f} with the reference" if r is not None else ""
            axes.set_title(plain(f"{name}, {strategy}{suffix}"), fontsize=8)
    if image is not None:
        bar = figure.colorbar(image, ax=figure.axes, shrink=0.7)
        bar.set_label("cultural alignment score between cultures (0-100)", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    title(figure, heading)
    return figure


def styles_figure(rows: Sequence[StyleSimilarity], heading: str) -> Figure:
    """Bravansky: mean distribution similarity per interaction style and country, one panel per
    persona strategy, with the bootstrap 95% interval as error bars."""
    info = catalog().info("distribution_similarity")
    strategies = list(dict.fromkeys(row.strategy for row in rows))
    styles = list(dict.fromkeys(row.style for row in rows))
    widest = max(len({row.country for row in rows if row.strategy == s}) for s in strategies)
    figure = Figure(
        figsize=(max(6.0, 0.5 * widest * len(styles) + 2.5), 3.2 * len(strategies) + 1.2),
        layout="constrained",
    )
    width = 0.8 / max(1, len(styles))
    for index, strategy in enumerate(strategies):
        axes = figure.add_subplot(len(strategies), 1, index + 1)
        countries = sorted({row.country for row in rows if row.strategy == strategy})
        for offset, style in enumerate(styles):
            mine = {row.country: row for row in rows if row.style == style and row.strategy == strategy}
            xs, ys, lows, highs = [], [], [], []
            for position, country in enumerate(countries):
                row = mine.get(country)
                if row is None or row.mean_similarity is None:
                    continue
                xs.append(position + (offset - (len(styles) - 1) / 2) * width)
                ys.append(row.mean_similarity)
                lows.append(
                    row.mean_similarity - (row.ci_low if row.ci_low is not None else row.mean_similarity)
                )
                highs.append(
                    (row.ci_high if row.ci_high is not None else row.mean_similarity) - row.mean_similarity
                )
            if xs:
                axes.bar(xs, ys, width=width, yerr=[lows, highs], capsize=2, ecolor="#333333",
                         color=STYLE_COLOURS.get(style, MODEL_COLOUR))  # fmt: skip
        axes.set_xticks(range(len(countries)), labels=[plain(c) for c in countries], fontsize=7)
        axes.set_ylim(0, 1)
        axes.set_ylabel(f"similarity ({info.direction_text})", fontsize=8)
        axes.set_title(plain(f"strategy {strategy}"), fontsize=9)
    return finished(
        figure, heading, [Patch(color=STYLE_COLOURS.get(s, MODEL_COLOUR), label=plain(s)) for s in styles]
    )


def distributions_figure(rows: Sequence[Distribution], heading: str) -> Figure:
    """Bravansky: per question (and population), the human answer distribution beside the model's
    in each interaction style; each panel's title gives every style's similarity (1 - W) and its
    bootstrap 95% interval."""
    questions = list(dict.fromkeys((row.item_id, row.country) for row in rows))
    columns = min(3, len(questions))
    lines = math.ceil(len(questions) / columns)
    figure = Figure(figsize=(4.2 * columns + 0.4, 2.9 * lines + 1.4), layout="constrained")
    for index, (item, country) in enumerate(questions):
        axes = figure.add_subplot(lines, columns, index + 1)
        mine = [row for row in rows if (row.item_id, row.country) == (item, country)]
        codes = mine[0].option_codes
        bars = 1 + len(mine)
        width = 0.8 / bars
        positions = range(len(codes))
        axes.bar([p - 0.4 + width / 2 for p in positions], mine[0].human, width=width, color=HUMAN_COLOUR)
        notes = []
        for offset, row in enumerate(mine, start=1):
            axes.bar([p - 0.4 + width / 2 + offset * width for p in positions], row.model, width=width,
                     color=STYLE_COLOURS.get(row.style, MODEL_COLOUR))  # fmt: skip
            if row.similarity is not None:
                interval = (
                    f" [{row.ci_low:.2f}, {row.ci_high:.2f}]"
                    if row.ci_low is not None and row.ci_high is not None
                    else ""
                )
                notes.append(f"{row.style}: {row.similarity:.2f}{interval}")
        axes.set_xticks(list(positions), labels=[str(code) for code in codes], fontsize=7)
        axes.set_xlabel("answer code", fontsize=7)
        axes.set_ylim(0, 1)
        axes.set_ylabel("share", fontsize=7)
        axes.tick_params(axis="y", labelsize=7)
        axes.set_title(plain(f"{item}, {country}\n" + "; ".join(notes)), fontsize=7)
    styles = list(dict.fromkeys(row.style for row in rows))
    legend(
        figure,
        [
            Patch(color=HUMAN_COLOUR, label="human (WVS)"),
            *(Patch(color=STYLE_COLOURS.get(s, MODEL_COLOUR), label=f"model, {s}") for s in styles),
        ],
        8,
    )
    figure.supxlabel(
        "answer code; panel title: similarity (1 - W) per style [95% bootstrap interval]", fontsize=8
    )
    title(figure, heading)
    return figure


def table3_figure(data: ModelsData, heading: str) -> Figure:
    """Sukiennik Table 3 across models: the overall DR per country (rows) and model (columns) as a
    heatmap, each cell with its value and rank; unstable values starred."""
    from culturewatch.reporting.paper_data import ranks

    countries = sorted(data.table3, key=lambda code: data.country_names.get(code, code))
    runs = data.runs
    grid = [[data.table3[c].get(run.run_id, (None, None, False))[0] for run in runs] for c in countries]
    rank_columns = [ranks([row[index] for row in grid]) for index in range(len(runs))]
    figure = Figure(figsize=(1.9 * len(runs) + 3.2, 0.34 * len(countries) + 2.6), layout="constrained")
    axes = figure.add_subplot(1, 1, 1)
    norm = TwoSlopeNorm(vcenter=1.0, vmin=0.0, vmax=3.0)
    image = axes.imshow(
        [[math.nan if v is None else v for v in row] for row in grid],
        cmap=colormaps["RdYlGn"],
        norm=norm,
        aspect="auto",
    )
    for y, country in enumerate(countries):
        for x, run in enumerate(runs):
            value, _, unstable = data.table3[country].get(run.run_id, (None, None, False))
            text = (
                "null" if value is None else f"{value:.2f}{'*' if unstable else ''} (#{rank_columns[x][y]})"
            )
            axes.text(x, y, text, ha="center", va="center", fontsize=6)
    axes.set_xticks(
        range(len(runs)), labels=[plain(f"{run.model}\n{run.model_version}") for run in runs], fontsize=7
    )
    axes.set_yticks(
        range(len(countries)), labels=[plain(data.country_names.get(c, c)) for c in countries], fontsize=7
    )
    bar = figure.colorbar(image, ax=axes, shrink=0.8, extend="max")
    bar.set_label("deviation ratio (higher is better)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    title(figure, heading)
    return figure


def headlines_figure(data: ModelsData, heading: str) -> Figure:
    """One panel per headline metric: each model's latest version, its value and coverage."""
    headlines = [
        h for h in catalog().headlines if any(row.get(h.column) is not None for row in data.leaderboard)
    ]
    columns = min(3, max(1, len(headlines)))
    lines = max(1, math.ceil(len(headlines) / columns))
    models = [str(row["model"]) for row in data.leaderboard]
    figure = Figure(
        figsize=(4.4 * columns + 0.4, (0.32 * len(models) + 1.6) * lines + 1.0), layout="constrained"
    )
    for index, headline in enumerate(headlines):
        info = catalog().info(headline.metric)
        axes = figure.add_subplot(lines, columns, index + 1)
        values = [row.get(headline.column) for row in data.leaderboard]
        axes.barh(range(len(models)), [0 if v is None else v for v in values], color=MODEL_COLOUR, height=0.6)
        for position, (row, value) in enumerate(zip(data.leaderboard, values, strict=True)):
            n = row.get(headline.coverage.column)
            label = "null" if value is None else f" {info.format(value)} (n={n})"
            axes.text(0 if value is None else max(value, 0), position, label, va="center", fontsize=6)
        low, high = info.range
        top = max([v for v in values if v is not None] + [high if high is not None else 0, 0.1]) * 1.35
        axes.set_xlim(min(0, low or 0), top)
        axes.set_yticks(range(len(models)), labels=[plain(m) for m in models], fontsize=7)
        axes.set_ylim(len(models) - 0.5, -0.5)
        axes.set_title(plain(f"{info.label}, {headline.slice}"), fontsize=8, wrap=True)
        axes.set_xlabel(info.direction_text, fontsize=7)
        axes.tick_params(axis="x", labelsize=7)
    title(figure, heading)
    return figure
