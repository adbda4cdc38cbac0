"""Figures fit for a paper: saved as vector SVG (text kept as text) and as a 300-dpi PNG, titles
wrapped to the figure's width, and a check that no text of a figure falls outside it (or outside
the axes that clip it)."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

PNG_DPI = 300
TOLERANCE_PX = 1.0


def plain(text: str) -> str:
    """Text from the warehouse shown literally (a `$` would otherwise start mathtext)."""
    return text.replace("$", r"\$")


def wrapped(text: str, figure: Figure, fontsize: float) -> str:
    """`text` wrapped to the figure's width at `fontsize` points (about 0.55 em per character)."""
    width_pt = figure.get_figwidth() * 72 * 0.92
    columns = max(20, int(width_pt / (fontsize * 0.55)))
    return "\n".join(textwrap.wrap(plain(text), columns)) or plain(text)


def title(figure: Figure, text: str, fontsize: float = 11) -> None:
    figure.suptitle(wrapped(text, figure, fontsize), fontsize=fontsize)


def legend(figure: Figure, handles: list, fontsize: float = 8) -> None:
    """A legend below the figure, in as many columns as fit its width; labels too long for one
    row are wrapped."""
    canvas = FigureCanvasAgg(figure)
    for columns in range(len(handles), 0, -1):
        drawn = figure.legend(handles=handles, loc="outside lower center", ncols=columns, fontsize=fontsize)
        canvas.draw()
        if drawn.get_window_extent(canvas.get_renderer()).width <= figure.bbox.width * 0.98:
            return
        drawn.remove()
    for handle in handles:
        handle.set_label(wrapped(handle.get_label(), figure, fontsize * 1.3))
    figure.legend(handles=handles, loc="outside lower center", ncols=1, fontsize=fontsize)


def finished(figure: Figure, heading: str, handles: list, legend_size: float = 8) -> Figure:
    """The figure with its legend below and its heading above: how every report figure ends."""
    legend(figure, handles, legend_size)
    title(figure, heading)
    return figure


def clipped_texts(figure: Figure) -> list[str]:
    """Every visible text of `figure` (titles, labels, legends, colour-bar labels, annotations)
    whose box is not wholly inside the figure, or, for a text its axes clip, inside the axes."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    frame = figure.bbox
    # tick labels of ticks outside an axis' view are kept by matplotlib but never drawn
    undrawn: set[int] = set()
    for axes in figure.axes:
        for axis in axes._axis_map.values():  # noqa: SLF001 - the axes' x/y (polar: theta/r) axes
            every = [*axis.get_major_ticks(), *axis.get_minor_ticks()]
            drawn = {id(tick) for tick in axis._update_ticks()}  # noqa: SLF001 - what draw() draws
            undrawn.update(
                id(label) for tick in every if id(tick) not in drawn for label in (tick.label1, tick.label2)
            )
    bad = []
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        box = text.get_window_extent(renderer)
        limits = [frame]
        if text.get_clip_on() and text.get_clip_box() is not None:
            limits.append(text.get_clip_box())
        for limit in limits:
            if (
                box.x0 < limit.x0 - TOLERANCE_PX
                or box.y0 < limit.y0 - TOLERANCE_PX
                or box.x1 > limit.x1 + TOLERANCE_PX
                or box.y1 > limit.y1 + TOLERANCE_PX
            ):
                bad.append(text.get_text())
                break
    return bad


@dataclass(frozen=True)
class RenderedFigure:
    stem: str
    svg: bytes
    png: bytes


def render(stem: str, figure: Figure) -> RenderedFigure:
    """The figure as SVG (fonts as text) and a 300-dpi PNG."""
    FigureCanvasAgg(figure)
    svg, png = io.BytesIO(), io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": stem}):
        figure.savefig(svg, format="svg", metadata={"Date": None})
    figure.savefig(png, format="png", dpi=PNG_DPI)
    return RenderedFigure(stem, svg.getvalue(), png.getvalue())


def write(rendered: RenderedFigure, folder: Path) -> tuple[Path, Path]:
    svg, png = folder / f"{rendered.stem}.svg", folder / f"{rendered.stem}.png"
    svg.write_bytes(rendered.svg)
    png.write_bytes(rendered.png)
    return svg, png
