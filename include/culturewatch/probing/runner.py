"""Run one probe spec: ask every cell not yet on disk, write answers in append-only batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from culturewatch.config.schema import ClientLimits, ModelEndpoint
from culturewatch.errors import EndpointError
from culturewatch.instruments.language_id import reply_language
from culturewatch.instruments.loader import AnyInstrument, load_instrument
from culturewatch.instruments.polarity import PolarityInstrument
from culturewatch.probing.budget import Budget, BudgetExceeded, BudgetExhausted
from culturewatch.probing.cache import ResponseCache
from culturewatch.probing.client import ChatClient, ChatResult
from culturewatch.probing.interpret import Reading, needs_judge, read_reply, read_verdict
from culturewatch.probing.judge import judge_prompt
from culturewatch.probing.parse import PARSER_VERSION
from culturewatch.probing.plan import ProbeCell, ProbeSpec, cells_for
from culturewatch.probing.polarity_judge import polarity_judge_prompt, read_stances
from culturewatch.probing.polarity_prompts import judged_topic
from culturewatch.probing.prompts import prompt_text
from culturewatch.probing.rendering import judge_question, render_messages
from culturewatch.settings import DataPaths
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
) -> dict[str, object]:
    language = reply_language(result.text)
    temperature, seed, max_tokens = sampling
    return {
        "run_id": spec.run_id,
        "model": spec.endpoint["name"],
        "model_version": spec.model_version,
        **cell.__dict__,
        "prompt": prompt,
        "response_text": result.text,
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


def _stance_rows(
    spec: ProbeSpec, cell: ProbeCell, stances: list[str], verdict: ChatResult
) -> list[dict[str, object]]:
    return [
        {
            "run_id": spec.run_id,
            **cell.__dict__,
            "respondent": respondent,
            "stance": stance,
            "judge_model": spec.judge["name"] if spec.judge else "",
            "judge_version": str(spec.judge_version),
            "judge_prompt_version": polarity_judge_prompt().version,
            "judged_at": verdict.requested_at,
        }
        for respondent, stance in enumerate(stances)
    ]


async def _judge_polarity(
    judge: ChatClient, instrument: PolarityInstrument, cell: ProbeCell, reply: str
) -> tuple[ChatResult, list[str] | None]:
    prompt = polarity_judge_prompt()
    verdict = await judge.complete(
        judge.request_for(
            prompt.messages(reply, judged_topic(instrument, cell)),
            temperature=0.0,
            max_tokens=prompt.max_tokens,
            seed=0,
            trial=0,
            json_object=True,
        )
    )
    return verdict, read_stances(verdict.text)


Answered = tuple[dict[str, object], list[dict[str, object]]]
"""A raw response row and the judgement rows that go with it."""


async def _ask_all(
    spec: ProbeSpec, paths: DataPaths, cells: list[ProbeCell], progress: Progress | None
) -> tuple[int, int, int, int, int, str | None]:
    """Ask `cells`; returns (written, sent, cache hits, prompt tokens, completion tokens, and why
    the budget stopped the attempt, or None)."""
    endpoint, grid, limits = spec.parsed()
    budget = Budget.for_run(endpoint, paths, spec.run_id)
    stopped: list[str] = []
    instrument = load_instrument(grid.instrument)
    use_logprobs = grid.answer_distribution == "logprobs"
    cache = ResponseCache(paths.cache_db)
    buffer: list[Answered] = []
    written = 0
    tokens = [0, 0]
    consumed: set[int] = set()

    def flush() -> None:
        """Judgements first: a response on disk means its cell is done, so its labels must be too
        (a crash in between re-asks the cell and writes its labels again; staging keeps one)."""
        nonlocal written
        if buffer:
            judgements = [row for _, rows in buffer for row in rows]
            if judgements:
                write_batch(paths.raw_judgements / f"run_id={spec.run_id}", judgements, JUDGEMENT_SCHEMA)
            write_batch(paths.run_dir(spec.run_id), [row for row, _ in buffer], RAW_RESPONSE_SCHEMA)
            written += len(buffer)
            buffer.clear()

    async def ask(client: ChatClient, judge: ChatClient | None, cell: ProbeCell) -> Answered | None:
        messages = render_messages(instrument, cell)
        seed = grid.seed + cell.trial
        max_tokens = grid.max_tokens_for(cell.style)
        with_logprobs = use_logprobs and cell.style == "classification"
        request = client.request_for(
            messages,
            temperature=grid.temperature,
            max_tokens=max_tokens,
            seed=seed,
            trial=cell.trial,
            top_logprobs=grid.top_logprobs if with_logprobs else None,
        )
        try:
            result = await client.complete(request)
        except BudgetExhausted as exc:  # not sent: the cell stays missing for a resume
            stopped.append(str(exc))
            return None
        verdict = None
        judgements: list[dict[str, object]] = []
        if isinstance(instrument, PolarityInstrument):
            reading = Reading(None, None, "judge", None, "error")
            if result.error is None and judge is not None:
                verdict, stances = await _judge_polarity(judge, instrument, cell, result.text or "")
                labelled = stances is not None and any(stance != "null" for stance in stances)
                reading = Reading(None, None, "judge", None, "ok" if labelled else "unparseable")
                if verdict.error:
                    reading = Reading(None, None, "judge", None, "error")
                elif stances is not None:
                    judgements = _stance_rows(spec, cell, stances, verdict)
        else:
            reading = read_reply(instrument, cell, result, use_logprobs)
            if judge is not None and needs_judge(cell, reading):
                prompt = judge_prompt()
                verdict = await judge.complete(
                    judge.request_for(
                        prompt.messages(judge_question(instrument, cell), result.text or ""),
                        temperature=0.0,
                        max_tokens=prompt.max_tokens,
                        seed=0,
                        trial=0,
                    )
                )
                reading = read_verdict(instrument, cell, verdict)
        row = _row(
            spec,
            instrument,
            cell,
            prompt_text(messages),
            result,
            reading,
            verdict,
            (grid.temperature, seed, max_tokens),
        )
        return row, judgements

    try:
        async with (
            ChatClient(endpoint, limits, cache, spec.model_version, budget) as client,
            _judge_client(spec, limits, cache) as judge,
        ):
            tasks = [asyncio.ensure_future(ask(client, judge, cell)) for cell in cells]
            try:
                for finished in asyncio.as_completed(tasks):
                    answered = await finished
                    if answered is None:
                        continue
                    row = answered[0]
                    consumed.add(id(row))
                    buffer.append(answered)
                    tokens[0] += int(row["prompt_tokens"] or 0) if not row["cache_hit"] else 0
                    tokens[1] += int(row["completion_tokens"] or 0) if not row["cache_hit"] else 0
                    if progress:
                        progress(1)
                    if len(buffer) >= limits.batch_size:
                        flush()
            except BaseException:
                for task in tasks:
                    task.cancel()
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
                # Keep every answer that did arrive, also those not yet consumed above.
                buffer.extend(
                    answered
                    for answered in outcomes
                    if isinstance(answered, tuple) and id(answered[0]) not in consumed
                )
                raise
            finally:
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
        paths.raw_runs / f"run_id={spec.run_id}",
        [
            {
                "run_id": spec.run_id,
                "event": event,
                "instrument": spec.grid["instrument"],
                "model": spec.endpoint["name"],
                "model_version": spec.model_version,
                "base_url": spec.endpoint["base_url"],
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
                "message": message,
            }
        ],
        RUN_EVENT_SCHEMA,
    )


def run_probe(spec: ProbeSpec, paths: DataPaths, progress: Progress | None = None) -> ProbeOutcome:
    """Ask every cell of `spec` that the run does not have yet; resumable after any failure."""
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
    try:
        answered, sent, hits, prompt_tokens, completion_tokens, stop = asyncio.run(
            _ask_all(spec, paths, todo, progress)
        )
    except EndpointError as exc:
        done_now = planned - len(pending_cells(spec, paths)[0])
        _record_event(spec, paths, "failed", planned, done_now, 0, 0, 0, str(exc))
        raise EndpointError(
            f"probe {spec.label} failed with {done_now}/{planned} cells on disk (kept; a retry asks "
            f"only the rest): {exc}"
        ) from exc
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
