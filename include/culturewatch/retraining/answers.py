"""Culture-unaware and culture-aware answers to questions (§4.2, Tables 8-10), greedy, parsed
with the probe's answer parser; the calls go through the probe's cached openai client."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass

from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.probing.client import ChatClient
from culturewatch.probing.parse import AnswerOptions, parse_answer
from culturewatch.retraining.prompts import answer_messages
from culturewatch.retraining.questions import SurveyQuestion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """One answer: `country` None for culture-unaware; `answer` None when unparseable."""

    question_id: str
    strategy: str
    country: str | None
    answer: int | None
    parse_status: str
    response_text: str | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


async def answer_questions(
    client: ChatClient,
    instrument: CultureSpaInstrument,
    questions: list[SurveyQuestion],
    countries: list[str],
    aware_strategy: str,
    max_tokens: int,
    seed: int,
) -> list[Answer]:
    """Every question once culture-unaware and once per country culture-aware."""
    words = instrument.number_words("en")
    refusals = instrument.refusal_phrases("en")

    async def one(question: SurveyQuestion, strategy: str, country: str | None) -> Answer:
        messages = answer_messages(instrument, question, strategy, country)
        request = client.request_for(messages, temperature=0.0, max_tokens=max_tokens, seed=seed, trial=0)
        result = await client.complete(request)
        options = AnswerOptions(
            min(question.codes), max(question.codes), list(question.options), words, refusals
        )
        parsed = parse_answer(result.text, options)
        value = int(parsed.answer) if parsed.answer is not None else None
        return Answer(question.id, strategy, country, value, parsed.status, result.text)

    jobs = [one(question, "unaware", None) for question in questions]
    # country by country, so consecutive prompts share the persona system prompt (llama.cpp reuses it)
    jobs += [one(question, aware_strategy, country) for country in countries for question in questions]
    answers = list(await asyncio.gather(*jobs))
    ok = sum(answer.parse_status == "ok" for answer in answers)
    log.info("answers: %d/%d parsed", ok, len(answers))
    return answers
