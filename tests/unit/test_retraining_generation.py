"""Generation: replies parsed into questions or filtered with a counted reason, never a crash;
examples per prompt are 3 seeds + 2 generated (fewer generated at first, seeds fill the gap)."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass

import pytest

from culturewatch.instruments.loader import load_instrument
from culturewatch.retraining.generate import generate_questions
from culturewatch.retraining.prompts import generation_messages, pick_examples, seed_questions
from culturewatch.retraining.questions import QuestionFilter, SurveyQuestion, parse_reply
from culturewatch.retraining.retrain_config import GenerationSpec

TOPIC = "Migration"


def _parse(reply: str):
    return parse_reply(reply, TOPIC, "G1", min_options=2, max_options=10)


def test_a_good_reply_becomes_a_question_with_numbering_stripped() -> None:
    parsed = _parse('```json\n{"Question:": "Should migrants vote?", "Options": ["1. Yes", "2. No"]}\n```')
    assert parsed.rejection is None
    assert parsed.question == SurveyQuestion("G1", TOPIC, "Should migrants vote?", ("Yes", "No"))
    assert parsed.question.options_text() == "1.Yes 2.No"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("Sure! Here is a question about migration.", "malformed"),
        ('{"Question": "unterminated", "Options": ["a", "b"]', "malformed"),
        ('{"Options": ["a", "b"]}', "malformed"),
        ('["not", "an", "object"]', "malformed"),
        ('{"Question": "Do you like migrants?"}', "no_options"),
        ('{"Question": "Do you like migrants?", "Options": []}', "no_options"),
        ('{"Question": "Do you like migrants?", "Options": ["Yes"]}', "no_options"),
        ('{"Question": "Do you like migrants?", "Options": ["Yes", "Yes"]}', "no_options"),
        (
            '{"Question": "Q?", "Options": ' + json.dumps([str(n) for n in range(11)]) + "}",
            "too_many_options",
        ),
        ('{"Question": "Q?", "Options": ["1. Agree", "Disagree", "3. Unsure"]}', "inconsistent_options"),
        ('{"Topic": "Religious Values", "Question": "Q?", "Options": ["a", "b"]}', "wrong_topic"),
    ],
)
def test_bad_replies_are_rejected_with_their_reason(reply: str, reason: str) -> None:
    parsed = _parse(reply)
    assert parsed.question is None
    assert parsed.rejection == reason


def test_a_reply_naming_the_requested_topic_is_kept() -> None:
    assert _parse('{"Topic": "migration", "Question": "Q?", "Options": ["a", "b"]}').question is not None


def test_filter_counts_duplicates_of_seeds_and_of_earlier_questions() -> None:
    seed = SurveyQuestion(
        "Q121", TOPIC, "How would you evaluate the impact of immigrants?", ("Bad", "Good"), 1, "seed"
    )
    question_filter = QuestionFilter.with_seeds([seed])
    replies = [
        '{"Question": "How would you evaluate the impact of immigrants?", "Options": ["x", "y"]}',
        '{"Question": "Is migration good?", "Options": ["Yes", "No"]}',
        '{"Question": "is  migration GOOD", "Options": ["Yes", "No", "Maybe"]}',
        "no json here",
    ]
    admitted = [question_filter.admit(_parse(reply), reply) for reply in replies]
    assert [question is not None for question in admitted] == [False, True, False, False]
    summary = question_filter.summary()
    assert summary["accepted"] == 1 and summary["duplicate"] == 2 and summary["malformed"] == 1
    assert [row["reason"] for row in question_filter.rejected] == ["duplicate", "duplicate", "malformed"]


def test_examples_are_three_seeds_and_two_generated() -> None:
    seeds = [SurveyQuestion(f"S{n}", TOPIC, f"seed {n}", ("a", "b"), 1, "seed") for n in range(10)]
    generated = [SurveyQuestion(f"G{n}", TOPIC, f"gen {n}", ("a", "b")) for n in range(4)]
    rng = random.Random(0)
    assert [q.source for q in pick_examples(seeds, generated, rng, 5, 3)] == ["seed"] * 3 + ["generated"] * 2
    assert [q.source for q in pick_examples(seeds, generated[:1], rng, 5, 3)] == ["seed"] * 4 + ["generated"]
    assert [q.source for q in pick_examples(seeds, [], rng, 5, 3)] == ["seed"] * 5


def test_generation_prompt_is_table_7_with_numbered_examples() -> None:
    seeds = seed_questions(load_instrument("wvs_culturespa"))
    examples = [seed for seed in seeds if seed.topic == TOPIC][:5]
    system, user = generation_messages(TOPIC, examples)
    assert system["content"].startswith("You are a social scientist on the World Values Survey team")
    first_lines = "Please come up with one new survey question.\nMake sure your question addresses the topic"
    assert user["content"].startswith(f"{first_lines} of {TOPIC}.")
    assert "#Example 5:\nQuestion: " in user["content"]
    assert '{"Question:" ..., "Options": [..., ..., ...]}' in user["content"]


@dataclass
class _Result:
    text: str | None


class _ScriptedClient:
    """Stands in for ChatClient: replays scripted replies (no model involved in this unit test)."""

    def __init__(self, replies: list[str | None]) -> None:
        self.replies = list(replies)
        self.requests: list[dict] = []

    def request_for(self, messages, **kwargs):
        return {"messages": messages, **kwargs}

    async def complete(self, request):
        self.requests.append(request)
        return _Result(self.replies.pop(0) if self.replies else None)


def test_generation_survives_bad_replies_and_logs_counts() -> None:
    seeds = seed_questions(load_instrument("wvs_culturespa"))
    replies = [
        None,  # transport error: no text
        "I cannot do that.",
        '{"Question": "Would you welcome a migrant neighbour?", "Options": ["Yes", "No"]}',
        '{"Question": "Would you welcome a migrant neighbour?", "Options": ["Yes", "No"]}',
        '{"Topic": "Security", "Question": "Q?", "Options": ["a", "b"]}',
        '{"Question": "Should migrants keep their language?", "Options": []}',
    ]
    client = _ScriptedClient(replies)
    spec = GenerationSpec(topics=[TOPIC], questions_per_topic=2, max_attempts_per_question=3)
    result = asyncio.run(generate_questions(client, seeds, spec))  # type: ignore[arg-type]
    assert [question.text for question in result.questions] == ["Would you welcome a migrant neighbour?"]
    assert result.counts == {
        "accepted": 1,
        "malformed": 2,
        "no_options": 1,
        "too_many_options": 0,
        "inconsistent_options": 0,
        "wrong_topic": 1,
        "duplicate": 1,
    }
    assert len(client.requests) == 6  # 2 questions × 3 attempts, then it stops
    assert result.counts_by_topic[TOPIC]["accepted"] == 1
    assert not any(request["json_object"] for request in client.requests)  # the paper's way: parse, filter


def test_letter_numbering_is_stripped_but_words_are_kept() -> None:
    lettered = _parse('{"Question": "Q?", "Options": ["A. Immigration helps", "B) It harms"]}').question
    assert lettered is not None and lettered.options == ("Immigration helps", "It harms")
    plain = _parse('{"Question": "Q?", "Options": ["A great deal", "Not much"]}').question
    assert plain is not None and plain.options == ("A great deal", "Not much")
