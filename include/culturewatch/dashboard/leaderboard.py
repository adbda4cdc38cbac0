"""The Alignment view's leaderboard: every model side by side (its latest version, or every
version), sortable by any headline metric, each value with what it averages over."""

from __future__ import annotations

from dataclasses import dataclass, field

from culturewatch.config.metrics import Headline, catalog, count_text
from culturewatch.dashboard.layout import (
    Links,
    direction_arrow,
    esc,
    flag,
    how_to_read,
    html_page,
    navigation,
    when,
)
from culturewatch.dashboard.queries import number, published_connection, rows
from culturewatch.settings import DataPaths

FIXED_SORTS = ("model", "last_probed_at")


@dataclass
class Leaderboard:
    warehouse: str
    headlines: list[Headline] = field(default_factory=list)
    rows: list[dict[str, object]] = field(default_factory=list)
    sort: str = "model"
    order: str = "asc"
    all_versions: bool = False
    present: bool = True


def load_leaderboard(
    paths: DataPaths, sort: str | None, order: str | None, versions: str | None
) -> Leaderboard:
    with published_connection(paths) as (label, connection):
        board = Leaderboard(label, all_versions=versions == "all")
        tables = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        if "model_leaderboard" not in tables:
            board.present = False
            return board
        found = rows(connection, "select * from marts.model_leaderboard")
    columns = set(found[0]) if found else set()
    board.headlines = [headline for headline in catalog().headlines if headline.column in columns]
    sortable = {headline.column: headline for headline in board.headlines}
    if sort in sortable or sort in FIXED_SORTS:
        board.sort = str(sort)
    elif board.headlines:
        board.sort = board.headlines[0].column
    default_order = "asc"
    if board.sort in sortable:
        default_order = "asc" if catalog().info(sortable[board.sort].metric).direction == "lower" else "desc"
    elif board.sort == "last_probed_at":
        default_order = "desc"
    board.order = order if order in ("asc", "desc") else default_order
    if not board.all_versions:
        latest: dict[str, dict[str, object]] = {}
        for row in found:
            current = latest.get(str(row["model"]))
            if current is None or (row["last_probed_at"] or 0) > (current["last_probed_at"] or 0):  # type: ignore[operator]
                latest[str(row["model"])] = row
        found = list(latest.values())
    present = [row for row in found if row.get(board.sort) is not None]
    missing = [row for row in found if row.get(board.sort) is None]
    present.sort(
        key=lambda row: (row[board.sort], str(row["model"]), str(row["model_version"])),
        reverse=board.order == "desc",
    )
    missing.sort(key=lambda row: (str(row["model"]), str(row["model_version"])))
    board.rows = present + missing  # nulls last, whatever the order
    return board


def render_leaderboard(board: Leaderboard, links: Links) -> str:
    title = "<h1>Leaderboard across models</h1>"
    if not board.present:
        return html_page(
            "Leaderboard", navigation(links) + title + '<p class="empty">No marts.model_leaderboard yet.</p>'
        )

    def header(column: str, text: str, hint: str = "") -> str:
        order = "asc" if board.sort == column and board.order == "desc" else "desc"
        mark = (" ▼" if board.order == "desc" else " ▲") if board.sort == column else ""
        href = links.page(
            "leaderboard", sort=column, order=order, versions="all" if board.all_versions else None
        )
        extra = f"<br><span class='note'>{esc(hint)}</span>" if hint else ""
        return (
            f'<th data-column="{esc(column)}"><a class="sort" href="{esc(href)}">{esc(text)}{mark}</a>'
            f"{extra}</th>"
        )

    heads = [header("model", "model"), "<th>version</th>", header("last_probed_at", "last probed")]
    for headline in board.headlines:
        info = catalog().info(headline.metric)
        heads.append(header(headline.column, catalog().headline_label(headline), direction_arrow(info)))
    body = []
    for row in board.rows:
        cells = [
            f'<td><a href="{esc(links.page(model=row["model"], version=row["model_version"]))}">'
            f"{esc(row['model'])}</a></td>",
            f"<td>{esc(row['model_version'])}</td>",
            f"<td>{when(row['last_probed_at'])}</td>",  # type: ignore[arg-type]
        ]
        for headline in board.headlines:
            info = catalog().info(headline.metric)
            value = number(row.get(headline.column))
            n = row.get(headline.coverage.column)
            unstable = int(row.get(headline.unstable) or 0) if headline.unstable else 0
            extra = f" {flag(f'{unstable} unstable')}" if unstable else ""
            shown = (
                "–"
                if value is None
                else f"{esc(info.format(value))}<br><span class='note'>over "
                f"{esc(count_text(n, headline.coverage.unit))}</span>{extra}"  # type: ignore[arg-type]
            )
            data = "" if value is None else value
            cells.append(
                f'<td class="num" data-column="{esc(headline.column)}" data-value="{data}">{shown}</td>'
            )
        body.append(f'<tr class="leader" data-model="{esc(row["model"])}">{"".join(cells)}</tr>')
    latest_only = links.page("leaderboard", sort=board.sort, order=board.order)
    every = links.page("leaderboard", sort=board.sort, order=board.order, versions="all")
    toggle = (
        f'<a href="{esc(latest_only)}">latest version of each model</a>'
        if board.all_versions
        else f'<a id="all-versions" href="{esc(every)}">every version</a>'
    )
    entries = list(
        {
            headline.metric: (catalog().info(headline.metric).label, catalog().info(headline.metric))
            for headline in board.headlines
        }.values()
    )
    return html_page(
        "Leaderboard",
        navigation(links)
        + title
        + f'<p class="meta">From the marts of {esc(board.warehouse)}: marts.model_leaderboard, '
        f"{'every version' if board.all_versions else 'the latest version of each model'} ({toggle}). "
        "Click a column to sort (nulls last). Under each value: how many it averages.</p>"
        + how_to_read(entries)
        + f'<table id="leaderboard"><tr>{"".join(heads)}</tr>{"".join(body)}</table>',
    )
