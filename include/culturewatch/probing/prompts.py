"""Render a probe cell into chat messages from the instrument's texts (no prompt text in code).

Styles (Bravansky et al.): `classification` asks the question with its numbered options
(Sukiennik et al., Table 1); `cot` asks the same and adds the language's chain-of-thought
instruction, which ends with a final-answer line; `scenario` embeds the question, without
options, in one of the language's open-ended scenarios (trial t uses scenario t mod 10, so
ten trials cover the ten scenarios) and its free-text answer is classified by a judge.
"""

from __future__ import annotations

from culturewatch.instruments.schema import Instrument
from culturewatch.probing.plan import ProbeCell
from culturewatch.probing.variants import displayed_labels


def question_with_options(instrument: Instrument, cell: ProbeCell) -> str:
    """The item as asked in classification: stem, item, numbered options (variant order)."""
    texts = instrument.languages[cell.prompt_language]
    item = instrument.item(cell.item_id)
    options = texts.option_separator.join(
        texts.option_template.format(number=instrument.scale.min + index, label=label)
        for index, label in enumerate(displayed_labels(instrument, cell))
    )
    stem = texts.blocks[item.block]
    return texts.question_template.format(stem=stem, item=texts.items[item.id], options=options).strip()


def bare_question(instrument: Instrument, cell: ProbeCell) -> str:
    """Stem and item without options (what a scenario embeds)."""
    texts = instrument.languages[cell.prompt_language]
    item = instrument.item(cell.item_id)
    return f"{texts.blocks[item.block]} {texts.items[item.id]}".strip()


def render_messages(instrument: Instrument, cell: ProbeCell) -> list[dict[str, str]]:
    """System role (+ answer instruction), then the user turn of the cell's style."""
    texts = instrument.languages[cell.prompt_language]
    role = texts.role_prompt.format(country=texts.countries[cell.country])
    if cell.style == "scenario":
        scenarios = texts.styles.scenarios
        user = scenarios[cell.trial % len(scenarios)].format(question=bare_question(instrument, cell))
        return [{"role": "system", "content": role}, {"role": "user", "content": user}]
    user = question_with_options(instrument, cell)
    if cell.style == "cot":
        user = f"{user}\n{texts.styles.cot_instruction}"
    return [
        {"role": "system", "content": f"{role} {texts.answer_instruction}"},
        {"role": "user", "content": user},
    ]


def prompt_text(messages: list[dict[str, str]]) -> str:
    """The exact text sent, as stored in the raw `prompt` column."""
    return "\n\n".join(f"[{message['role']}]\n{message['content']}" for message in messages)
