"""Inline SVG charts, drawn on the server: no script, no CDN, every label escaped.

Each mark carries its number in `data-value` (and a `<title>` tooltip), so a browser test can
read back what was drawn and where. Every colour scale has a legend; every point says what it
averages over; versions are written in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from culturewatch.config.metrics import MetricInfo

WIDTH = 540
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP = 56, 16, 16
PLOT_HEIGHT = 156


def fmt(value: float | None, digits: int = 3) -> str:
    return "null" if value is None else f"{value:.{digits}f}"


def _span(values: list[float], value_range: tuple[float | None, float | None]) -> tuple[float, float]:
    low, high = value_range
    if low is not None and high is not None:
        return min([low, *values]), max([high, *values])
    data_low, data_high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (data_high - data_low) * 0.1 or abs(data_high) * 0.1 or 1.0
    return (low if low is not None else data_low - pad), (high if high is not None else data_high + pad)


@dataclass(frozen=True)
class Point:
    """One version's value and what it averages over."""

    version: str
    value: float | None
    coverage: int | None
    unstable: int = 0


def line_chart(chart_id: str, label: str, info: MetricInfo, points: list[Point], unit: str) -> str:
    """One headline metric over versions: a polyline through the non-null values, a dot per value,
    under each version its full name and how many `unit` the value averages over; a value whose
    coverage differs from the previous point's is marked (never silently compared)."""
    values = [point.value for point in points if point.value is not None]
    low, high = _span(values, info.range)
    longest = max((len(point.version) for point in points), default=1)
    label_room = min(160, 14 + 6 * longest)  # rotated version names, written in full
    height = MARGIN_TOP + PLOT_HEIGHT + 22 + label_room
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    inset = 28  # keeps the first and last points clear of the axis labels
    step = (plot_w - 2 * inset) / max(len(points) - 1, 1)
    base = MARGIN_TOP + PLOT_HEIGHT

    def x(index: int) -> float:
        return MARGIN_LEFT + (inset + index * step if len(points) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return base - (value - low) / (high - low) * PLOT_HEIGHT

    parts = [
        f'<svg class="chart line-chart" id="{escape(chart_id)}" data-metric="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(label)}">',
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{base}" x2="{WIDTH - MARGIN_RIGHT}" y2="{base}"/>',
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{base}"/>',
    ]
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{escape(info.format(tick))}</text>"
        )
    coordinates = [f"{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(points) if p.value is not None]
    if len(coordinates) > 1:
        parts.append(f'<polyline class="series" points="{" ".join(coordinates)}"/>')
    previous: int | None = None
    for index, point in enumerate(points):
        cx = x(index)
        changed = previous is not None and point.coverage != previous and point.value is not None
        coverage = "n/a" if point.coverage is None else str(point.coverage)
        parts.append(
            f'<text class="coverage{" flagged" if changed else ""}" data-version="{escape(point.version)}" '
            f'data-coverage="{escape(coverage)}" x="{cx:.1f}" y="{base + 14}" text-anchor="middle">'
            f"n={escape(coverage)}{' ≠' if changed else ''}</text>"
            f'<text class="version-label" x="{cx:.1f}" y="{base + 26}" text-anchor="end" '
            f'transform="rotate(-35 {cx:.1f} {base + 26})">{escape(point.version)}</text>'
        )
        if point.value is not None:
            previous = point.coverage
        if point.value is None:
            parts.append(
                f'<text class="missing" data-version="{escape(point.version)}" x="{cx:.1f}" '
                f'y="{base - 6}" text-anchor="middle">n/a</text>'
            )
            continue
        unstable = f", {point.unstable} unstable" if point.unstable else ""
        parts.append(
            f'<circle class="point{" flagged" if point.unstable else ""}" cx="{cx:.1f}"'
            f' cy="{y(point.value):.1f}" '
            f'r="4" data-version="{escape(point.version)}" data-value="{fmt(point.value, 6)}" '
            f'data-coverage="{escape(coverage)}" data-unstable="{point.unstable}">'
            f"<title>{escape(point.version)}: {escape(info.format(point.value))} over {escape(coverage)} "
            f"{escape(unit)}{escape(unstable)}</title></circle>"
            f'<text class="value-label" x="{cx:.1f}" y="{y(point.value) - 8:.1f}" '
            f'text-anchor="middle">{escape(info.format(point.value))}{"*" if point.unstable else ""}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- colour scales and their legends


def heat_colour(value: float) -> str:
    """0 → blue, 50 → white, 100 → red (VSM scores are 0-100)."""
    share = max(0.0, min(1.0, value / 100.0))
    if share < 0.5:
        t = share / 0.5
        red, green, blue = int(49 + t * (255 - 49)), int(104 + t * (255 - 104)), int(178 + t * (255 - 178))
    else:
        t = (share - 0.5) / 0.5
        red, green, blue = int(255 - t * (255 - 202)), int(255 - t * (255 - 56)), int(255 - t * (255 - 48))
    return f"rgb({red},{green},{blue})"


def colour_legend(legend_id: str, title: str, stops: list[float], ends: tuple[str, str]) -> str:
    """A stepped legend of heat_colour over `stops`, the end labels saying what each end means."""
    swatch, left, top = 30, 8, 18
    width = left * 2 + swatch * len(stops)
    parts = [
        f'<svg class="legend" id="{escape(legend_id)}" viewBox="0 0 {width} 58" width="{width}" height="58" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="12">{escape(title)}</text>',
    ]
    for index, stop in enumerate(stops):
        x = left + index * swatch
        parts.append(
            f'<rect class="swatch" data-value="{stop:g}" x="{x}" y="{top}" width="{swatch}" height="14" '
            f'fill="{heat_colour(stop)}"/>'
            f'<text x="{x + swatch / 2}" y="{top + 26}" text-anchor="middle">{stop:g}</text>'
        )
    parts.append(
        f'<text x="{left}" y="{top + 38}">{escape(ends[0])}</text>'
        f'<text x="{width - left}" y="{top + 38}" text-anchor="end">{escape(ends[1])}</text></svg>'
    )
    return "".join(parts)


@dataclass(frozen=True)
class HeatCell:
    value: float | None
    ground_truth: float | None
    href: str | None  # the answers behind the cell


def heatmap(cells: dict[str, dict[str, HeatCell]], dimensions: tuple[str, ...], info: MetricInfo) -> str:
    """Countries (rows) × VSM dimensions (columns), coloured by the model's score, each cell
    writing the score and Hofstede's ground truth beside it and linking to the answers behind it."""
    cell_w, cell_h, left, top = 84, 28, 56, 28
    width = left + cell_w * len(dimensions) + 8
    height = top + cell_h * len(cells) + 8
    parts = [
        f'<svg class="chart heatmap" id="heatmap" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="VSM scores by country and dimension, with ground truth">'
    ]
    for column, dimension in enumerate(dimensions):
        parts.append(
            f'<text class="dimension" x="{left + column * cell_w + cell_w / 2}" y="{top - 10}" '
            f'text-anchor="middle">{escape(dimension.upper())}</text>'
        )
    for row, (country, scores) in enumerate(cells.items()):
        y = top + row * cell_h
        parts.append(
            f'<text class="country" x="{left - 8}" y="{y + cell_h / 2 + 4}" text-anchor="end">'
            f"{escape(country)}</text>"
        )
        for column, dimension in enumerate(dimensions):
            cell = scores.get(dimension, HeatCell(None, None, None))
            value, truth = cell.value, cell.ground_truth
            x = left + column * cell_w
            fill = "#eeeeee" if value is None else heat_colour(value)
            ink = ' style="fill:#ffffff"' if value is not None and abs(value - 50) > 30 else ""
            shown = "–" if value is None else info.format(value)
            gt = "no GT" if truth is None else f"{truth:g}"
            mark = (
                f'<g class="cell" data-country="{escape(country)}" data-dimension="{escape(dimension)}" '
                f'data-value="{fmt(value, 6)}" data-ground-truth="{fmt(truth, 6)}">'
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}">'
                f"<title>{escape(country)} {escape(dimension.upper())}: model {escape(shown)}, "
                f"Hofstede {escape(gt)}</title></rect>"
                f'<text x="{x + cell_w / 2 - 1}" y="{y + cell_h / 2 + 4}" text-anchor="middle"{ink}>'
                f'{escape(shown)} <tspan class="gt-value"{ink}>({escape(gt)})</tspan></text></g>'
            )
            if cell.href:
                mark = f'<a class="drill" href="{escape(cell.href)}">{mark}</a>'
            parts.append(mark)
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Bar:
    country: str
    value: float | None
    reason: str | None
    unstable: bool = False


def bar_chart(rows: list[Bar], info: MetricInfo) -> str:
    """Horizontal bars, one per country in rank order; null values say why instead of a bar; an
    unstable ratio is drawn in another colour and starred."""
    bar_h, left, right, top = 22, 56, 90, 8
    plot_w = WIDTH - left - right
    values = [row.value for row in rows if row.value is not None]
    high = max(values) if values else 1.0
    high = high if high > 0 else 1.0
    height = top + bar_h * len(rows) + 8
    parts = [
        f'<svg class="chart ranking" id="ranking-chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-label="Countries ranked by deviation ratio">'
    ]
    for index, row in enumerate(rows):
        y = top + index * bar_h
        parts.append(
            f'<text class="country" x="{left - 8}" y="{y + bar_h / 2 + 4}" text-anchor="end">'
            f"{escape(row.country)}</text>"
        )
        if row.value is None:
            parts.append(
                f'<text class="missing" data-country="{escape(row.country)}" x="{left}" '
                f'y="{y + bar_h / 2 + 4}">null: {escape(row.reason or "no reason recorded")}</text>'
            )
            continue
        length = max(1.0, max(row.value, 0.0) / high * plot_w)
        star = "*" if row.unstable else ""
        colour = ' style="fill:#b45309"' if row.unstable else ""
        parts.append(
            f'<g class="bar{" flagged" if row.unstable else ""}" data-rank="{index + 1}" '
            f'data-country="{escape(row.country)}" data-value="{fmt(row.value, 6)}">'
            f'<rect x="{left}" y="{y + 2}" width="{length:.1f}" height="{bar_h - 6}"{colour}>'
            f"<title>{escape(row.country)}: {escape(info.format(row.value))}"
            f"{' (unstable ratio)' if row.unstable else ''}</title></rect>"
            f'<text x="{left + length + 6:.1f}" y="{y + bar_h / 2 + 4}">'
            f"{escape(info.format(row.value))}{star}"
            "</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
