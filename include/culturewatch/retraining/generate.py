"""Self-instruct generation of new questions per topic (§4.1): each prompt shows 5 in-topic
examples, 3 WVS seeds + 2 questions generated earlier, until the topic has its quota or its
attempts are spent. Bad replies are filtered and counted (`questions.QuestionFilter`)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from culturewatch.probing.client import ChatClient
from culturewatch.retraining.prompts import generation_messages, pick_examples
from culturewatch.retraining.questions import QuestionFilter, SurveyQuestion, parse_reply
from culturewatch.retraining.retrain_config import GenerationSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationResult:
    questions: list[SurveyQuestion]
    counts: dict[str, int]
    counts_by_topic: dict[str, dict[str, int]]
    rejected: list[dict[str, object]]
    prompts: list[dict[str, object]]


def topics_of(seeds: list[SurveyQuestion], chosen: list[str] | str) -> list[str]:
    """The seed topics in first-appearance order, or the chosen ones."""
    ordered = list(dict.fromkeys(seed.topic for seed in seeds))
    return ordered if chosen == "all" else [topic for topic in ordered if topic in chosen]


async def generate_questions(
    client: ChatClient, seeds: list[SurveyQuestion], spec: GenerationSpec
) -> GenerationResult:
    """Generate `questions_per_topic` accepted questions per topic; never raises on a bad reply."""
    question_filter = QuestionFilter.with_seeds(seeds)
    generated: list[SurveyQuestion] = []
    by_topic: dict[str, dict[str, int]] = {}
    prompts: list[dict[str, object]] = []
    for topic_index, topic in enumerate(topics_of(seeds, spec.topics)):
        rng = random.Random(f"{spec.seed}:{topic}")
        topic_seeds = [seed for seed in seeds if seed.topic == topic]
        topic_generated: list[SurveyQuestion] = []
        before = question_filter.summary()
        attempts = 0
        while (
            len(topic_generated) < spec.questions_per_topic
            and attempts < spec.questions_per_topic * spec.max_attempts_per_question
        ):
            examples = pick_examples(
                topic_seeds, topic_generated, rng, spec.examples_per_prompt, spec.seed_examples
            )
            messages = generation_messages(topic, examples)
            request = client.request_for(
                messages,
                temperature=spec.temperature,
                max_tokens=spec.max_tokens,
                seed=spec.seed + 1000 * topic_index + attempts,
                trial=attempts,
                json_object=spec.json_mode,
            )
            result = await client.complete(request)
            attempts += 1
            question_id = f"G{topic_index + 1:02d}-{len(topic_generated) + 1:04d}"
            parsed = parse_reply(result.text, topic, question_id, spec.min_options, spec.max_options)
            accepted = question_filter.admit(parsed, result.text)
            prompts.append(
                {
                    "topic": topic,
                    "attempt": attempts,
                    "examples": [example.id for example in examples],
                    "messages": messages,
                    "reply": result.text,
                    "outcome": "accepted" if accepted else (parsed.rejection or "duplicate"),
                }
            )
            if accepted is not None:
                topic_generated.append(accepted)
        after = question_filter.summary()
        by_topic[topic] = {key: after[key] - before[key] for key in after}
        log.info("generation %s: %s (%d attempts)", topic, by_topic[topic], attempts)
        generated.extend(topic_generated)
    counts = question_filter.summary()
    log.info("generation: %d questions accepted; filtered: %s", len(generated), counts)
    return GenerationResult(generated, counts, by_topic, question_filter.rejected, prompts)
