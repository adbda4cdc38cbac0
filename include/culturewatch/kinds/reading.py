"""Reading replies of option instruments (VSM, CultureSPA): the parser, then, where the reply
needs one, the option judge."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from culturewatch.instruments.language_id import reply_language
from culturewatch.kinds.protocol import ReplyReading
from culturewatch.probing.cells import ProbeCell
from culturewatch.probing.client import ChatClient, ChatResult
from culturewatch.probing.interpret import Reading, needs_judge, read_reply, read_verdict
from culturewatch.probing.judge import judge_prompt
from culturewatch.probing.variants import OptionInstrument

log = logging.getLogger(__name__)
T = TypeVar("T")

UNREADABLE = Reading(None, None, "parsed", None, "unparseable")


def guarded_reading(read: Callable[..., Reading], *args: object) -> Reading:
    """A reading that never crashes the probe: a reader that fails on a hostile reply (say, a
    5,000-digit number) makes it unparseable, with a warning in the log."""
    try:
        return read(*args)
    except Exception as exc:  # noqa: BLE001 - any reader bug on any reply
        log.warning("reading a reply failed, recorded as unparseable: %s: %s", type(exc).__name__, exc)
        return UNREADABLE


def _reading_and_language(
    instrument: OptionInstrument, cell: ProbeCell, result: ChatResult, use_logprobs: bool
) -> tuple[Reading, str | None]:
    """What the reply says and its language: one trip to a worker thread for both."""
    return guarded_reading(read_reply, instrument, cell, result, use_logprobs), reply_language(result.text)


INLINE_READING_CHARS = 256
"""A reply at most this long (a number, an option's label, a sentence) is read on the event loop:
parsing and identifying its language take microseconds, less than a hand-off to a worker thread.
A longer one (up to max_reply_bytes) is read in a worker thread, so that it cannot stall the
other requests."""


async def read_off_the_loop_if_long(text: str | None, read: Callable[..., T], *args: object) -> T:
    if len(text or "") <= INLINE_READING_CHARS:
        return read(*args)
    return await asyncio.to_thread(read, *args)


async def read_option_reply(
    instrument: OptionInstrument,
    cell: ProbeCell,
    result: ChatResult,
    judge: ChatClient | None,
    use_logprobs: bool,
    judge_question: Callable[[OptionInstrument, ProbeCell], str],
) -> ReplyReading:
    """The parsed (or logprob) answer and the reply's language; the judge's option where the reply
    needs a judge."""
    reading, language = await read_off_the_loop_if_long(
        result.text, _reading_and_language, instrument, cell, result, use_logprobs
    )
    verdict = None
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
        reading = await asyncio.to_thread(guarded_reading, read_verdict, instrument, cell, verdict)
    return ReplyReading(reading, language, verdict)
