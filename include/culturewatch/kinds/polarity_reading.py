"""Reading a polarity reply: the polarity judge labels each hypothetical respondent pro, con or
null; the row's status says whether any was labelled."""

from __future__ import annotations

import asyncio

from culturewatch.instruments.language_id import reply_language
from culturewatch.instruments.polarity import PolarityInstrument
from culturewatch.kinds.protocol import ReplyReading
from culturewatch.probing import polarity_prompts
from culturewatch.probing.cells import ProbeCell
from culturewatch.probing.client import ChatClient, ChatResult
from culturewatch.probing.interpret import Reading
from culturewatch.probing.polarity_judge import polarity_judge_prompt, read_stances


async def _judge_polarity(
    judge: ChatClient, instrument: PolarityInstrument, cell: ProbeCell, reply: str
) -> tuple[ChatResult, list[str] | None]:
    prompt = polarity_judge_prompt()
    verdict = await judge.complete(
        judge.request_for(
            prompt.messages(reply, polarity_prompts.judged_topic(instrument, cell)),
            temperature=0.0,
            max_tokens=prompt.max_tokens,
            seed=0,
            trial=0,
            json_object=True,
        )
    )
    return verdict, await asyncio.to_thread(read_stances, verdict.text)


def _stance_labels(stances: list[str], verdict: ChatResult) -> list[dict[str, object]]:
    return [
        {
            "respondent": respondent,
            "stance": stance,
            "judge_prompt_version": polarity_judge_prompt().version,
            "judged_at": verdict.requested_at,
        }
        for respondent, stance in enumerate(stances)
    ]


async def read_polarity_reply(
    instrument: PolarityInstrument, cell: ProbeCell, result: ChatResult, judge: ChatClient | None
) -> ReplyReading:
    """The judge's stance per respondent (when the reply arrived and a judge is configured) and the
    reply's language."""
    reading = Reading(None, None, "judge", None, "error")
    verdict: ChatResult | None = None
    labels: list[dict[str, object]] = []
    if result.error is None and judge is not None:
        verdict, stances = await _judge_polarity(judge, instrument, cell, result.text or "")
        labelled = stances is not None and any(stance != "null" for stance in stances)
        reading = Reading(None, None, "judge", None, "ok" if labelled else "unparseable")
        if verdict.error:
            reading = Reading(None, None, "judge", None, "error")
        elif stances is not None:
            labels = _stance_labels(stances, verdict)
    language = await asyncio.to_thread(reply_language, result.text)
    return ReplyReading(reading, language, verdict, labels)
