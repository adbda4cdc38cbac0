"""Run one probe spec: ask every cell not yet on disk, write answers in append-only batches.

Reading a reply (parser, judge verdict, language identification) runs in a worker thread, off
the event loop, on the reply as capped by the client (`max_reply_bytes`): a huge reply can
neither stall the other requests nor take more than a bounded time. A short classification
reply (at most INLINE_READING_CHARS, culturewatch.kinds.reading) is read on the event loop, where
it costs less than the hand-off. A run that stops for any
reason (endpoint error, budget, interrupt, bug) gets a `failed` event saying why: it is never
left `running`. When the endpoint fails, nothing more is sent, and the requests already sent are
awaited (each ends within its deadline) so that the answers paid for are kept; an interrupt or
a bug cancels them at once.

**Shared trials.** At temperature 0 on an endpoint declared `deterministic` (never a hosted API),
trials whose requests are identical but for the trial's seed are asked once, as the lowest such
trial (`shared_requests`); the other trials' rows carry the same answer, the seed that was sent,
and `answer_shared_from_trial` naming the trial that was asked. A resume asks a shared request
again only if the response cache does not have it. Everywhere else every trial is asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from culturewatch.config.schema import ClientLimits, ModelEndpoint
from culturewatch.errors import EndpointError
from culturewatch.instruments.language_id import detector
from culturewatch.instruments.loader import AnyInstrument, load_instrument
from culturewatch.kinds import kind_of
from culturewatch.probing.budget import Budget, BudgetExceeded, BudgetExhausted
from culturewatch.probing.cache import ResponseCache
from culturewatch.probing.client import ChatClient, ChatResult
from culturewatch.probing.interpret import Reading
from culturewatch.probing.parse import PARSER_VERSION
from culturewatch.probing.probe_specs import ProbeCell, ProbeSpec, cells_for
from culturewatch.probing.prompts import prompt_text
from culturewatch.probing.rendering import render_messages
from culturewatch.redaction import redact_text, redact_url
from culturewatch.settings import DataPaths
from culturewatch.storage.claims import Claim, Claims, claim_wait_s
from culturewatch.storage.parquet import read_keys, write_batch
from culturewatch.storage.schema import (
    JUDGEMENT_SCHEMA,
    RAW_RESPONSE_KEY,
    RAW_RESPONSE_SCHEMA,
    RUN_EVENT_SCHEMA,
)

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ProbeOutcome:
    run_id: str
    prompt_language: str
    cells_planned: int
    cells_already_done: int
    cells_answered: int
    requests_sent: int
    cache_hits: int

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _row(
    spec: ProbeSpec,
    instrument: AnyInstrument,
    cell: ProbeCell,
    prompt: str,
    result: ChatResult,
    reading: Reading,
    verdict: ChatResult | None,
    sampling: tuple[float, int | None, int],
    language: str | None,
    shared_from_trial: int | None = None,
) -> dict[str, object]:
    temperature, seed, max_tokens = sampling
    return {
        "run_id": spec.run_id,
        "model": spec.endpoint["name"],
        "model_version": spec.model_version,
        **cell.__dict__,
        "prompt": prompt,
        "response_text": result.text,
        "response_truncated": None if result.text is None else result.truncated,
        "answer": reading.answer,
        "answer_probs": reading.answer_probs,
        "answer_method": reading.method,
        "option_mass": reading.option_mass,
        "parse_status": reading.status,
        "requested_at": result.requested_at,
        "instrument_version": instrument.version,
        "parser_version": PARSER_VERSION,
        "temperature": temperature,
        "seed": seed,
        "max_tokens": max_tokens,
        "latency_ms": result.latency_ms,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cache_hit": result.cache_hit,
        "error": result.error,
        "response_language": language,
        "response_language_matches": None if language is None else language == cell.prompt_language,
        "judge_model": spec.judge["name"] if verdict is not None and spec.judge else None,
        "judge_response": verdict.text if verdict is not None else None,
        "answer_shared_from_trial": shared_from_trial,
    }


@contextlib.asynccontextmanager
async def _judge_client(spec: ProbeSpec, limits: ClientLimits, cache: ResponseCache):
    """The judge's client when the spec names a judge (its calls are cached like every call)."""
    if not spec.judge:
        yield None
        return
    async with ChatClient(
        ModelEndpoint.model_validate(spec.judge), limits, cache, str(spec.judge_version)
    ) as judge:
        yield judge


def pending_cells(spec: ProbeSpec, paths: DataPaths) -> tuple[list[ProbeCell], int]:
    """The spec's cells not yet written for this run, and how many already are."""
    _, grid, _ = spec.parsed()
    instrument = load_instrument(grid.instrument)
    pairs = [(country, spec.prompt_language) for country in spec.countries]
    cells = cells_for(grid, instrument, pairs)
    done = read_keys(paths.run_dir(spec.run_id))
    todo = [
        cell
        for cell in cells
        if (spec.run_id, *(getattr(cell, name) for name in RAW_RESPONSE_KEY[1:])) not in done
    ]
    return todo, len(cells) - len(todo)


def _judgement_rows(
    spec: ProbeSpec, cell: ProbeCell, labels: list[dict[str, object]]
) -> list[dict[str, object]]:
    return [
        {
            "run_id": spec.run_id,
            **cell.__dict__,
            **label,
            "judge_model": spec.judge["name"] if spec.judge else "",
            "judge_version": str(spec.judge_version),
        }
        for label in labels
    ]


Answered = tuple[dict[str, object], list[dict[str, object]]]
"""A raw response row and the judgement rows that go with it."""


@dataclass(frozen=True)
class SharedRequest:
    """One request of a probe: the cell it is rendered for (its trial gives the seed) and the
    pending cells that take their answer from it (`cell` itself unless it is already on disk)."""

    cell: ProbeCell
    messages: list[dict[str, str]]
    cells: list[ProbeCell]


def shared_requests(
    instrument: AnyInstrument, cells: list[ProbeCell], share_trials: bool
) -> list[SharedRequest]:
    """The requests that answer `cells`, in the order of their first cell. Without `share_trials`
    one per cell. With it, a cell whose messages equal those of a lower trial of the same cell
    (everything else equal) is answered by the lowest such trial's request, whether or not that
    trial is pending: a resume finds it in the response cache."""
    rendered: dict[ProbeCell, list[dict[str, str]]] = {}

    def messages_of(cell: ProbeCell) -> list[dict[str, str]]:
        if cell not in rendered:
            rendered[cell] = render_messages(instrument, cell)
        return rendered[cell]

    requests: dict[ProbeCell, SharedRequest] = {}
    for cell in cells:
        source = cell
        if share_trials:
            own = messages_of(cell)
            source = next(
                (
                    lower
                    for lower in (replace(cell, trial=trial) for trial in range(cell.trial))
                    if messages_of(lower) == own
                ),
                cell,
            )
        if source not in requests:
            requests[source] = SharedRequest(source, messages_of(source), [])
        requests[source].cells.append(cell)
    return list(requests.values())


def shares_trials(endpoint: ModelEndpoint, grid_temperature: float) -> bool:
    """Whether identical trials are asked once: temperature 0 on an endpoint declared deterministic."""
    return endpoint.deterministic and not endpoint.hosted and grid_temperature == 0.0


@dataclass
class Attempts:
    """HTTP attempts made to the model endpoint (retries included), known also when asking fails."""

    sent: int = 0


async def _ask_all(
    spec: ProbeSpec,
    paths: DataPaths,
    cells: list[ProbeCell],
    progress: Progress | None,
    claim: Claim,
    attempts: Attempts | None = None,
) -> tuple[int, int, int, int, int, str | None]:
    """Ask `cells`; returns (written, sent, cache hits, prompt tokens, completion tokens, and why
    the budget stopped the attempt, or None). `attempts` is kept up to date however it ends."""
    attempts = attempts if attempts is not None else Attempts()
    endpoint, grid, limits = spec.parsed()
    budget = Budget.for_run(endpoint, paths, spec.run_id)
    stopped: list[str] = []
    instrument = load_instrument(grid.instrument)
    use_logprobs = grid.answer_distribution == "logprobs"
    # lingua's models load in seconds, holding the GIL: before the first request, not during one
    await asyncio.to_thread(detector)
    cache = ResponseCache(paths.cache_db)
    buffer: list[Answered] = []
    written = 0
    tokens = [0, 0]
    consumed: set[int] = set()

    def flush() -> None:
        """Judgements first: a response on disk means its cell is done, so its labels must be too
        (a crash in between re-asks the cell and writes its labels again; staging keeps one).
        Only while this process still holds the run's claim: a taken-over claim stops the writes
        (the answers stay in the response cache)."""
        nonlocal written
        if buffer:
            claim.check()
            judgements = [row for _, rows in buffer for row in rows]
            if judgements:
                write_batch(paths.run_folder("judgements", spec.run_id), judgements, JUDGEMENT_SCHEMA)
            write_batch(paths.run_dir(spec.run_id), [row for row, _ in buffer], RAW_RESPONSE_SCHEMA)
            written += len(buffer)
            buffer.clear()

    async def ask(
        client: ChatClient, judge: ChatClient | None, asked: SharedRequest
    ) -> tuple[list[Answered], ChatResult] | None:
        cell = asked.cell
        seed = grid.seed + cell.trial
        max_tokens = grid.max_tokens_for(cell.style)
        with_logprobs = use_logprobs and cell.style == "classification"
        request = client.request_for(
            asked.messages,
            temperature=grid.temperature,
            max_tokens=max_tokens,
            seed=seed,
            trial=cell.trial,
            top_logprobs=grid.top_logprobs if with_logprobs else None,
        )
        try:
            result = await client.complete(request)
        except BudgetExhausted as exc:  # not sent: the cells stay missing for a resume
            stopped.append(str(exc))
            return None
        read = await kind_of(instrument).read(instrument, cell, result, judge, use_logprobs)
        reading, verdict, language = read.reading, read.verdict, read.language
        prompt = prompt_text(asked.messages)
        answered = [
            (
                _row(
                    spec,
                    instrument,
                    member,
                    prompt,
                    result,
                    reading,
                    verdict,
                    (grid.temperature, seed, max_tokens),
                    language,
                    None if member.trial == cell.trial else cell.trial,
                ),
                _judgement_rows(spec, member, read.labels),
            )
            for member in asked.cells
        ]
        return answered, result

    try:
        async with (
            ChatClient(endpoint, limits, cache, spec.model_version, budget) as client,
            _judge_client(spec, limits, cache) as judge,
        ):
            requests = shared_requests(instrument, cells, shares_trials(endpoint, grid.temperature))
            tasks = [asyncio.ensure_future(ask(client, judge, asked)) for asked in requests]
            try:
                for finished in asyncio.as_completed(tasks):
                    outcome = await finished
                    if outcome is None:
                        continue
                    answered, result = outcome
                    consumed.add(id(answered))
                    buffer.extend(answered)
                    if not result.cache_hit:  # a shared answer's tokens are counted once
                        tokens[0] += result.prompt_tokens or 0
                        tokens[1] += result.completion_tokens or 0
                    if progress:
                        progress(len(answered))
                    if len(buffer) >= limits.batch_size:
                        flush()
            except BaseException as exc:
                if not isinstance(exc, EndpointError):
                    for task in tasks:
                        task.cancel()
                # The endpoint broke: the requests waiting for a slot fail at once (the client
                # sends nothing more) and those already sent end within their deadline, so their
                # answers, paid for, are kept. Anything else (an interrupt, a bug) cancels them.
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
                # Keep every answer that did arrive, also those not yet consumed above.
                buffer.extend(
                    row
                    for outcome in outcomes
                    if isinstance(outcome, tuple) and id(outcome[0]) not in consumed
                    for row in outcome[0]
                )
                raise
            finally:
                attempts.sent = client.requests_sent
                flush()
            stop = f"{stopped[0]}; {len(stopped)} cell(s) not asked" if stopped else None
            return written, client.requests_sent, client.cache_hits, tokens[0], tokens[1], stop
    finally:
        cache.close()


def _record_event(
    spec: ProbeSpec,
    paths: DataPaths,
    event: str,
    planned: int,
    answered: int,
    sent: int,
    prompt_tokens: int,
    completion_tokens: int,
    message: str | None = None,
) -> None:
    write_batch(
        paths.run_folder("runs", spec.run_id),
        [
            {
                "run_id": spec.run_id,
                "event": event,
                "instrument": spec.grid["instrument"],
                "model": spec.endpoint["name"],
                "model_version": spec.model_version,
                "base_url": redact_url(str(spec.endpoint["base_url"])),
                "prompt_language": spec.prompt_language,
                "cells_planned": planned,
                "cells_answered": answered,
                "requests_sent": sent,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "cost_usd": ModelEndpoint.model_validate(spec.endpoint).cost_usd(
                    prompt_tokens, completion_tokens
                ),
                "recorded_at": datetime.now(UTC),
                "message": None if message is None else redact_text(message),
                "airflow_dag_run_id": spec.airflow_dag_run_id,
            }
        ],
        RUN_EVENT_SCHEMA,
    )


def run_probe(spec: ProbeSpec, paths: DataPaths, progress: Progress | None = None) -> ProbeOutcome:
    """Ask every cell of `spec` that the run does not have yet; resumable after any failure.

    The run's lane (its prompt language) is claimed first (culturewatch.storage.claims): a second
    process or task of the same lane waits for it (up to $CULTUREWATCH_CLAIM_WAIT_S) and then
    finds nothing left to ask, so no cell is asked or written twice; a killed holder's claim
    expires and the next attempt resumes. An unset api_key_env fails first, before anything is
    written."""
    endpoint, _, _ = spec.parsed()
    endpoint.api_key()
    claims = Claims(paths.state_db)
    with claims.claim(spec.run_id, spec.prompt_language, wait_s=claim_wait_s()) as claim:
        for table in ("responses", "judgements"):  # what a killed local writer left half-written
            folder = paths.run_folder(table, spec.run_id).path
            for stale in paths.store.remove_stale_temporaries(folder, older_than_s=claims.ttl_s):
                log.info("removed %s (a write interrupted before it completed)", stale)
        return _probe_claimed(spec, paths, progress, claim)


def _probe_claimed(
    spec: ProbeSpec, paths: DataPaths, progress: Progress | None, claim: Claim
) -> ProbeOutcome:
    todo, already = pending_cells(spec, paths)
    planned = len(todo) + already
    log.info(
        "probe %s: %d cells planned, %d already on disk, %d to ask",
        spec.label,
        planned,
        already,
        len(todo),
    )
    _record_event(spec, paths, "started", planned, already, 0, 0, 0)
    attempts = Attempts()
    try:
        answered, sent, hits, prompt_tokens, completion_tokens, stop = asyncio.run(
            _ask_all(spec, paths, todo, progress, claim, attempts)
        )
    except EndpointError as exc:
        done_now = planned - len(pending_cells(spec, paths)[0])
        _record_event(spec, paths, "failed", planned, done_now, attempts.sent, 0, 0, str(exc))
        raise EndpointError(
            f"probe {spec.label} failed with {done_now}/{planned} cells on disk (kept; a retry asks "
            f"only the rest): {exc}"
        ) from exc
    except BaseException as exc:
        # an interrupt (Ctrl-C, SIGTERM), Airflow's execution_timeout or anything unforeseen: the
        # run says so instead of staying `running`; the answers that arrived are on disk or cached
        done_now = planned - len(pending_cells(spec, paths)[0])
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        message = f"{why} ({done_now}/{planned} cells on disk)"
        _record_event(spec, paths, "failed", planned, done_now, attempts.sent, 0, 0, message)
        raise
    if stop is not None:
        done_now = already + answered
        message = f"budget: {stop}"
        _record_event(spec, paths, "failed", planned, done_now, sent, 0, 0, message)
        raise BudgetExceeded(
            f"probe {spec.label} stopped with {done_now}/{planned} cells on disk (kept; a resume asks "
            f"only the rest once the cap allows): {message}"
        )
    _record_event(
        spec,
        paths,
        "completed",
        planned,
        already + answered,
        sent,
        prompt_tokens,
        completion_tokens,
    )
    log.info(
        "probe %s: %d answered now (%d requests, %d cache hits), %d/%d on disk",
        spec.label,
        answered,
        sent,
        hits,
        already + answered,
        planned,
    )
    return ProbeOutcome(spec.run_id, spec.prompt_language, planned, already, answered, sent, hits)
