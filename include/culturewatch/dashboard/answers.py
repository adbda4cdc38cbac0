"""From a number to what is behind it: a probe run's page and the raw prompts and replies of a run.

The run page always exists for a run in the published marts (whoever started it): its facts from
`marts.runs`, its Airflow DAG run when it ran under Airflow, its raw files as the build saw them
(`raw_manifest.files`). The answers are read from the raw store, from the files the published
build admitted for the run (`raw_manifest.files`, status ok; read through DuckDB configured for
the store, culturewatch.storage.store); when one of them is gone since (compaction replaced it by
one file with the same rows) the run's current files are read instead, and the page says so.
Filtered by country, prompt language, item or VSM dimension, and paged. Every prompt and reply is
model output or configuration: escaped, shown as text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from culturewatch.dashboard.layout import Links, esc, html_page, navigation, status_badge, when
from culturewatch.dashboard.queries import published_connection, rows
from culturewatch.errors import CulturewatchError
from culturewatch.identifiers import check_run_id
from culturewatch.marts import columns_of, present_relations
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import parquet_files

PAGE_SIZE = 25
ANSWER_COLUMNS = (
    "item_id", "country", "prompt_language", "style", "strategy", "variant", "trial",
    "prompt", "response_text", "answer", "parse_status",
)  # fmt: skip


class UnknownRun(CulturewatchError):
    """The run is not in the published marts."""


@dataclass(frozen=True)
class AnswerFilter:
    run_id: str
    country: str | None = None
    prompt_language: str | None = None
    item: str | None = None
    dimension: str | None = None
    page: int = 1

    def params(self, **changes: object) -> dict[str, object]:
        """The filter as query parameters, with `changes` over it."""
        return asdict(self) | changes


@dataclass
class AnswersPage:
    chosen: AnswerFilter
    items: list[str] = field(default_factory=list)  # the items the filter selects (a dimension's)
    total: int = 0
    answers: list[dict[str, object]] = field(default_factory=list)
    note: str | None = None


@dataclass
class RunPage:
    run: dict[str, object]
    dag_run_id: str | None
    files: list[dict[str, object]]


def load_run(paths: DataPaths, run_id: str) -> RunPage:
    with published_connection(paths) as (_, connection):
        relations = present_relations(connection)
        found = (
            rows(connection, "select * from marts.runs where run_id = ?", [run_id])
            if "marts.runs" in relations
            else []
        )
        if not found:
            raise UnknownRun(f"run {run_id!r} is not in the published marts")
        files = (
            rows(
                connection,
                "select table_name, file_key, n_rows, status, problem from raw_manifest.files "
                "where run_id = ? order by table_name, file_key",
                [run_id],
            )
            if "raw_manifest.files" in relations
            else []
        )
    run = found[0]
    return RunPage(run, run.get("airflow_dag_run_id"), files)


def _dimension_items(connection, dimension: str) -> list[str]:
    if "reference.vsm2013_formulas" not in present_relations(connection):
        return []
    found = connection.execute(
        "select plus_item_1, minus_item_1, plus_item_2, minus_item_2 from reference.vsm2013_formulas "
        "where dimension = ?",
        [dimension],
    ).fetchone()
    return sorted(found) if found else []


def load_answers(paths: DataPaths, chosen: AnswerFilter) -> AnswersPage:
    check_run_id(chosen.run_id)
    page = AnswersPage(chosen)
    with published_connection(paths) as (_, connection):
        relations = present_relations(connection)
        if (
            "marts.runs" in relations
            and not connection.execute(
                "select count(*) from marts.runs where run_id = ?", [chosen.run_id]
            ).fetchone()[0]
        ):
            raise UnknownRun(f"run {chosen.run_id!r} is not in the published marts")
        admitted = (
            connection.execute(
                "select file_key from raw_manifest.files where table_name = 'responses' and run_id = ? "
                "and status = 'ok' order by file_key",
                [chosen.run_id],
            ).fetchall()
            if "raw_manifest.files" in relations and "run_id" in columns_of(connection, "raw_manifest.files")
            else []
        )
        if chosen.dimension:
            page.items = _dimension_items(connection, chosen.dimension)
    store = paths.store
    keys = [key for (key,) in admitted]
    if not keys or not all(store.exists(key) for key in keys):
        keys = [file.path for file in parquet_files(paths.run_dir(chosen.run_id))]
        page.note = (
            "The files the published build read have been compacted since; these are the run's current "
            "raw files (the same rows, and any written after the build)."
            if admitted
            else None
        )
    if not keys:
        page.note = "No raw answer file of this run is in the store."
        return page
    uris = ", ".join("'" + store.uri(key).replace("'", "''") + "'" for key in keys)
    conditions, parameters = ["run_id = ?"], [chosen.run_id]
    for column, value in (("country", chosen.country), ("prompt_language", chosen.prompt_language)):
        if value:
            conditions.append(f"{column} = ?")
            parameters.append(value)
    items = [chosen.item] if chosen.item else page.items
    if items:
        conditions.append("list_contains(?, item_id)")
        parameters.append(items)
    where = " and ".join(conditions)
    source = f"read_parquet([{uris}], union_by_name = true)"
    connection = store.duckdb()
    try:
        page.total = connection.execute(
            f"select count(*) from {source} where {where}", parameters
        ).fetchone()[0]
        offset = (max(chosen.page, 1) - 1) * PAGE_SIZE
        page.answers = rows(
            connection,
            f"select {', '.join(ANSWER_COLUMNS)} from {source} where {where} "
            "order by country nulls first, prompt_language, item_id, style, strategy, variant, trial "
            f"limit {PAGE_SIZE} offset {offset}",
            parameters,
        )
    finally:
        connection.close()
    return page


def render_run(page: RunPage, links: Links) -> str:
    run = page.run
    run_id = str(run["run_id"])
    facts = [
        ("model", run.get("model")),
        ("version", run.get("model_version")),
        ("instrument", run.get("instrument")),
        ("started", when(run.get("started_at"))),  # type: ignore[arg-type]
        ("finished", when(run.get("finished_at"))),  # type: ignore[arg-type]
        ("cells answered / planned", f"{run.get('cells_answered')}/{run.get('cells_planned')}"),
        ("parsed ok / rows", f"{run.get('n_parse_ok')}/{run.get('rows_on_disk')}"),
        ("tokens", f"{run.get('prompt_tokens')} prompt, {run.get('completion_tokens')} completion"),
    ]
    listing = "".join(f"<tr><th>{esc(name)}</th><td>{esc(value)}</td></tr>" for name, value in facts)
    status = (
        f"<tr><th>status</th><td>{status_badge(run.get('status'))}"  # type: ignore[arg-type]
        f" {esc(run.get('status_reason') or '')}</td></tr>"
    )
    if page.dag_run_id:
        airflow = (
            f'<p id="airflow-run">Probed under Airflow: DAG run '
            f'<a href="{esc(links.run(run_id, page.dag_run_id))}" target="_top">{esc(page.dag_run_id)}</a> '
            "of culturewatch_probe.</p>"
        )
    else:
        airflow = (
            '<p id="airflow-run" class="note">Probed outside Airflow (e.g. `culturewatch probe`): no'
            " DAG run.</p>"
        )
    files = "".join(
        f"<tr><td>{esc(file['table_name'])}</td><td>{esc(file['file_key'])}</td><td class=num>"
        f"{esc(file['n_rows'] if file['n_rows'] is not None else '')}</td><td>{esc(file['status'])}</td>"
        f"<td>{esc(file['problem'] or '')}</td></tr>"
        for file in page.files
    )
    return html_page(
        f"Run {run_id}",
        navigation(links, str(run.get("model") or ""))
        + f'<h1>Run <span id="run-id">{esc(run_id)}</span></h1>'
        + f'<table id="run-facts">{listing}{status}</table>'
        + airflow
        + f'<p><a class="drill" id="run-answers" href="{esc(links.page("answers", run_id=run_id))}">'
        "Its raw prompts and replies</a></p>"
        + "<h2>Raw files the published build saw</h2>"
        + (
            '<table id="run-files"><tr><th>table</th><th>file</th><th>rows</th><th>status</th><th>problem'
            "</th></tr>"
            f"{files}</table>"
            if files
            else '<p class="empty">No raw file listed for this run.</p>'
        ),
    )


def render_answers(page: AnswersPage, links: Links) -> str:
    chosen = page.chosen
    pages = max(1, -(-page.total // PAGE_SIZE))
    filters = [
        f"{name} {value}"
        for name, value in (
            ("country", chosen.country),
            ("prompt language", chosen.prompt_language),
            ("item", chosen.item),
            ("dimension", chosen.dimension and f"{chosen.dimension} (items {', '.join(page.items)})"),
        )
        if value
    ]
    nav = []
    if chosen.page > 1:
        nav.append(
            '<a id="previous-page"'
            f' href="{esc(links.page("answers", **chosen.params(page=chosen.page - 1)))}">← previous</a>'
        )
    if chosen.page < pages:
        nav.append(
            f'<a id="next-page" href="{esc(links.page("answers", **chosen.params(page=chosen.page + 1)))}">'
            "next →</a>"
        )
    body = "".join(
        f'<tr class="answer" data-item="{esc(row["item_id"])}" data-country="{esc(row["country"] or "")}">'
        f"<td>{esc(row['item_id'])}</td><td>{esc(row['country'] or '–')}</td><td>"
        f"{esc(row['prompt_language'])}</td>"
        f"<td>{esc(row['style'])}<br>{esc(row['strategy'])}<br>{esc(row['variant'])}</td>"
        f"<td class=num>{esc(row['trial'])}</td>"
        f'<td><pre class="prompt">{esc(row["prompt"] or "")}</pre></td>'
        '<td><pre class="reply">'
        f"{esc(row['response_text'] if row['response_text'] is not None else '(no reply)')}</pre></td>"
        f"<td class=num>{esc('' if row['answer'] is None else row['answer'])}</td><td>"
        f"{esc(row['parse_status'])}</td></tr>"
        for row in page.answers
    )
    return html_page(
        f"Answers of {chosen.run_id}",
        navigation(links)
        + f'<h1>Raw answers of run <a href="{esc(links.page("run", run_id=chosen.run_id))}" id="answers-run">'
        f"{esc(chosen.run_id)}</a></h1>" + f'<p class="meta" id="answers-count">{page.total}'
        f" answer(s){'; ' + esc(', '.join(filters)) if filters else ''}; "
        f"page {chosen.page} of {pages} ({PAGE_SIZE} per page). Prompts and replies exactly as sent and "
        "received, shown as text.</p>"
        + (f'<p class="note" id="answers-note">{esc(page.note)}</p>' if page.note else "")
        + f"<p>{' · '.join(nav)}</p>"
        + (
            '<table id="answers"><tr><th>item</th><th>country</th><th>language</th><th>style / strategy /'
            " variant</th>"
            "<th>trial</th><th>prompt</th><th>reply</th><th>answer</th><th>parse status</th></tr>"
            f"{body}</table>"
            if page.answers
            else '<p class="empty" id="no-answers">No answer matches.</p>'
        ),
    )
