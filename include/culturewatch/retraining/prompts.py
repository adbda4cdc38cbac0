"""The prompts of CultureSPA's data generation, as data: Table 7 (generation, verbatim from the
repo's GDCRQ_utils.py in `generation_prompts.yaml`) and Tables 8-10 (answers: the
`wvs_culturespa` instrument's own templates, the same ones the probe sends)."""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.retraining.questions import SurveyQuestion
from culturewatch.yaml_files import load_model

GENERATION_PROMPTS = Path(__file__).with_name("generation_prompts.yaml")
Messages = list[dict[str, str]]


class GenerationPrompts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    system_prompt: str
    task_prompt_topic: str
    example_template_topic: str


@cache
def generation_prompts(path: Path = GENERATION_PROMPTS) -> GenerationPrompts:
    return load_model(path, GenerationPrompts)


def pick_examples(
    topic_seeds: list[SurveyQuestion],
    topic_generated: list[SurveyQuestion],
    rng: random.Random,
    examples: int,
    seed_examples: int,
) -> list[SurveyQuestion]:
    """§4.1: `seed_examples` from the WVS seeds and the rest from earlier generated questions of the
    topic (3 + 2 by default); while fewer have been generated, seeds fill the gap. Seeds first."""
    n_generated = min(examples - seed_examples, len(topic_generated))
    n_seed = min(examples - n_generated, len(topic_seeds))
    return rng.sample(topic_seeds, n_seed) + rng.sample(topic_generated, n_generated)


def generation_messages(topic: str, examples: list[SurveyQuestion]) -> Messages:
    """Table 7: the social-scientist system prompt and the topic task with numbered examples."""
    prompts = generation_prompts()
    shown = "".join(
        prompts.example_template_topic.format(number, example.text, example.options_text())
        for number, example in enumerate(examples, start=1)
    )
    return [
        {"role": "system", "content": prompts.system_prompt},
        {"role": "user", "content": prompts.task_prompt_topic.format(topic, shown, topic)},
    ]


def answer_messages(
    instrument: CultureSpaInstrument, question: SurveyQuestion, strategy: str, country: str | None
) -> Messages:
    """Tables 8-10 in English: the instrument's system prompt for the strategy (persona slots for
    `country`) and its question template with the options as "<code>.<label>"."""
    texts = instrument.languages["en"]
    template = texts.system_prompts[strategy]  # type: ignore[index]
    system = template if strategy == "unaware" else template.format(**instrument.persona_slots(str(country)))
    options = texts.option_separator.join(
        texts.option_template.format(number=code, label=label)
        for code, label in zip(question.codes, question.options, strict=True)
    )
    user = texts.question_template.format(question=question.text, options=options)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def seed_questions(instrument: CultureSpaInstrument) -> list[SurveyQuestion]:
    """The 260 WVS seed questions as survey questions (their own code base)."""
    return [
        SurveyQuestion(
            id=q.id,
            topic=q.topic,
            text=q.text,
            options=tuple(q.options),
            option_code_base=q.option_code_base,
            source="seed",
        )
        for q in instrument.questions
    ]
