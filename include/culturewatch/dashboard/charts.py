"""Inline SVG charts, drawn on the server: no script, no CDN, every label escaped.

Each mark carries its number in `data-value` (and a `<title>` tooltip), so a browser test can
read back what was drawn and where.
"""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 520, 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 16, 48


def fmt(value: float | None, digits: int = 3) -> str:
    return "null" if value is None else f"{value:.{digits}f}"


def _span(values: list[float], value_range: tuple[float, float] | None) -> tuple[float, float]:
    if value_range is not None:
        low, high = value_range
        low, high = min([low, *values]), max([high, *values])
    else:
        low, high = min(values), max(values)
        pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    return low, high


def line_chart(
    chart_id: str, label: str, points: list[tuple[str, float | None]], value_range: tuple[float, float] | None
) -> str:
    """One headline metric over versions: a polyline through the non-null values, a dot per value."""
    values = [value for _, value in points if value is not None]
    low, high = _span(values, value_range)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    inset = 28  # keeps the first and last points clear of the axis labels
    step = (plot_w - 2 * inset) / max(len(points) - 1, 1)

    def x(index: int) -> float:
        return MARGIN_LEFT + (inset + index * step if len(points) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return MARGIN_TOP + plot_h - (value - low) / (high - low) * plot_h

    parts = [
        f'<svg class="chart line-chart" id="{escape(chart_id)}" data-metric="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(label)}">',
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{MARGIN_TOP + plot_h}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y2="{MARGIN_TOP + plot_h}"/>',
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" '
        f'y2="{MARGIN_TOP + plot_h}"/>',
    ]
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{fmt(tick, 2)}</text>"
        )
    coordinates = [f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points) if v is not None]
    if len(coordinates) > 1:
        parts.append(f'<polyline class="series" points="{" ".join(coordinates)}"/>')
    for index, (version, value) in enumerate(points):
        short = version if len(version) <= 14 else version[:13] + "…"
        parts.append(
            f'<text class="version-label" x="{x(index):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 18}" '
            f'text-anchor="middle">{escape(short)}</text>'
        )
        if value is None:
            parts.append(
                f'<text class="missing" data-version="{escape(version)}" x="{x(index):.1f}" '
                f'y="{MARGIN_TOP + plot_h - 6}" text-anchor="middle">n/a</text>'
            )
            continue
        parts.append(
            f'<circle class="point" cx="{x(index):.1f}" cy="{y(value):.1f}" r="4" '
            f'data-version="{escape(version)}" data-value="{fmt(value, 6)}">'
            f"<title>{escape(version)}: {fmt(value)}</title></circle>"
            f'<text class="value-label" x="{x(index):.1f}" y="{y(value) - 8:.1f}" '
            f'text-anchor="middle">{fmt(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _heat_colour(value: float) -> str:
    """0 → blue, 50 → white, 100 → red (VSM scores are 0-100)."""
    share = max(0.0, min(1.0, value / 100.0))
    if share < 0.5:
        t = share / 0.5
        red, green, blue = int(49 + t * (255 - 49)), int(104 + t * (255 - 104)), int(178 + t * (255 - 178))
    else:
        t = (share - 0.5) / 0.5
        red, green, blue = int(255 - t * (255 - 202)), int(255 - t * (255 - 56)), int(255 - t * (255 - 48))
    return f"rgb({red},{green},{blue})"


def heatmap(cells: dict[str, dict[str, float | None]], dimensions: tuple[str, ...]) -> str:
    """Countries (rows) × VSM dimensions (columns), coloured by score, the score written in each cell."""
    cell_w, cell_h, left, top = 64, 26, 56, 28
    width = left + cell_w * len(dimensions) + 8
    height = top + cell_h * len(cells) + 8
    parts = [
        f'<svg class="chart heatmap" id="heatmap" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="VSM scores by country and dimension">'
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
            value = scores.get(dimension)
            x = left + column * cell_w
            fill = "#eeeeee" if value is None else _heat_colour(value)
            ink = ' style="fill:#ffffff"' if value is not None and abs(value - 50) > 30 else ""
            parts.append(
                f'<g class="cell" data-country="{escape(country)}" data-dimension="{escape(dimension)}" '
                f'data-value="{fmt(value, 6)}"><rect x="{x}" y="{y}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" '
                f'fill="{fill}"><title>{escape(country)} {escape(dimension.upper())}: '
                f"{fmt(value, 1)}</title></rect>"
                f'<text x="{x + cell_w / 2 - 1}" y="{y + cell_h / 2 + 4}" text-anchor="middle"'
                f"{ink}>"
                f"{'–' if value is None else f'{value:.0f}'}</text></g>"
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(rows: list[tuple[str, float | None, str | None]]) -> str:
    """Horizontal bars, one per country in rank order; null values say why instead of a bar."""
    bar_h, left, right, top = 22, 56, 80, 8
    plot_w = WIDTH - left - right
    values = [value for _, value, _ in rows if value is not None]
    high = max(values) if values else 1.0
    high = high if high > 0 else 1.0
    height = top + bar_h * len(rows) + 8
    parts = [
        f'<svg class="chart ranking" id="ranking-chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-label="Countries ranked by deviation ratio">'
    ]
    for index, (country, value, reason) in enumerate(rows):
        y = top + index * bar_h
        parts.append(
            f'<text class="country" x="{left - 8}" y="{y + bar_h / 2 + 4}" text-anchor="end">'
            f"{escape(country)}</text>"
        )
        if value is None:
            parts.append(
                f'<text class="missing" data-country="{escape(country)}" x="{left}" y="{y + bar_h / 2 + 4}">'
                f"null: {escape(reason or 'no reason recorded')}</text>"
            )
            continue
        length = max(1.0, max(value, 0.0) / high * plot_w)
        parts.append(
            f'<g class="bar" data-rank="{index + 1}" data-country="{escape(country)}" '
            f'data-value="{fmt(value, 6)}">'
            f'<rect x="{left}" y="{y + 2}" width="{length:.1f}" height="{bar_h - 6}">'
            f"<title>{escape(country)}: {fmt(value)}</title></rect>"
            f'<text x="{left + length + 6:.1f}" y="{y + bar_h / 2 + 4}">{fmt(value)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
