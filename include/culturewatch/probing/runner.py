"""Run one probe spec: ask every cell not yet on disk, write answers in append-only batches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from culturewatch.errors import EndpointError
from culturewatch.instruments.language_id import reply_language
from culturewatch.instruments.loader import load_instrument
from culturewatch.instruments.schema import Instrument
from culturewatch.probing.cache import ResponseCache
from culturewatch.probing.client import ChatClient, ChatResult
from culturewatch.probing.distribution import option_distribution
from culturewatch.probing.parse import PARSER_VERSION, parse_answer
from culturewatch.probing.plan import ProbeCell, ProbeSpec, cells_for
from culturewatch.probing.prompts import prompt_text, render_messages
from culturewatch.probing.variants import displayed_labels, to_item_scale
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_keys, write_batch
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA

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
    instrument: Instrument,
    cell: ProbeCell,
    prompt: str,
    result: ChatResult,
    temperature: float,
    seed: int | None,
    max_tokens: int,
    use_logprobs: bool,
) -> dict[str, object]:
    language = reply_language(result.text)
    labels = displayed_labels(instrument, cell)
    parsed = parse_answer(result.text, instrument.scale.min, instrument.scale.max, labels)
    distribution = (
        option_distribution(result.token_logprobs, instrument.scale.min, instrument.scale.max)
        if use_logprobs and result.token_logprobs
        else None
    )
    if distribution is not None:
        probs = distribution.probs[::-1] if cell.variant == "reversed_options" else distribution.probs
        answer, answer_probs, method = (
            sum((instrument.scale.min + i) * p for i, p in enumerate(probs)),
            probs,
            "logprobs",
        )
    else:
        answer, answer_probs, method = to_item_scale(instrument, cell, parsed.answer), None, "parsed"
    return {
        "run_id": spec.run_id,
        "model": spec.endpoint["name"],
        "model_version": spec.model_version,
        **cell.__dict__,
        "prompt": prompt,
        "response_text": result.text,
        "answer": answer,
        "answer_probs": answer_probs,
        "answer_method": method,
        "option_mass": distribution.option_mass if distribution else None,
        "parse_status": "error" if result.error else parsed.status,
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
    }


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
        if (
            spec.run_id,
            cell.instrument,
            cell.item_id,
            cell.country,
            cell.prompt_language,
            cell.style,
            cell.strategy,
            cell.variant,
            cell.trial,
        )
        not in done
    ]
    return todo, len(cells) - len(todo)


async def _ask_all(
    spec: ProbeSpec, paths: DataPaths, cells: list[ProbeCell], progress: Progress | None
) -> tuple[int, int, int, int, int]:
    endpoint, grid, limits = spec.parsed()
    instrument = load_instrument(grid.instrument)
    use_logprobs = grid.answer_distribution == "logprobs"
    cache = ResponseCache(paths.cache_db)
    buffer: list[dict[str, object]] = []
    written = 0
    tokens = [0, 0]
    consumed: set[int] = set()

    def flush() -> None:
        nonlocal written
        if buffer:
            write_batch(paths.run_dir(spec.run_id), buffer, RAW_RESPONSE_SCHEMA)
            written += len(buffer)
            buffer.clear()

    async def ask(client: ChatClient, cell: ProbeCell) -> dict[str, object]:
        messages = render_messages(instrument, cell)
        seed = grid.seed + cell.trial
        request = client.request_for(
            messages,
            temperature=grid.temperature,
            max_tokens=grid.max_tokens,
            seed=seed,
            trial=cell.trial,
            top_logprobs=grid.top_logprobs if use_logprobs else None,
        )
        result = await client.complete(request)
        return _row(
            spec,
            instrument,
            cell,
            prompt_text(messages),
            result,
            grid.temperature,
            seed,
            grid.max_tokens,
            use_logprobs,
        )

    try:
        async with ChatClient(endpoint, limits, cache, spec.model_version) as client:
            tasks = [asyncio.ensure_future(ask(client, cell)) for cell in cells]
            try:
                for finished in asyncio.as_completed(tasks):
                    row = await finished
                    consumed.add(id(row))
                    buffer.append(row)
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
                buffer.extend(row for row in outcomes if isinstance(row, dict) and id(row) not in consumed)
                raise
            finally:
                flush()
            return written, client.requests_sent, client.cache_hits, tokens[0], tokens[1]
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
                "model": spec.endpoint["name"],
                "model_version": spec.model_version,
                "base_url": spec.endpoint["base_url"],
                "prompt_language": spec.prompt_language,
                "cells_planned": planned,
                "cells_answered": answered,
                "requests_sent": sent,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
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
        answered, sent, hits, prompt_tokens, completion_tokens = asyncio.run(
            _ask_all(spec, paths, todo, progress)
        )
    except EndpointError as exc:
        done_now = planned - len(pending_cells(spec, paths)[0])
        _record_event(spec, paths, "failed", planned, done_now, 0, 0, 0, str(exc))
        raise EndpointError(
            f"probe {spec.label} failed with {done_now}/{planned} cells on disk (kept; a retry asks "
            f"only the rest): {exc}"
        ) from exc
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
