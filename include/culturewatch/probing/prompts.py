"""Render a probe cell into chat messages from the instrument's texts (no prompt text in code)."""

from __future__ import annotations

from culturewatch.instruments.schema import Instrument
from culturewatch.probing.plan import ProbeCell
from culturewatch.probing.variants import displayed_labels


def render_messages(instrument: Instrument, cell: ProbeCell) -> list[dict[str, str]]:
    """System role + instruction, then the question with its numbered options (Sukiennik Table 1)."""
    texts = instrument.languages[cell.prompt_language]
    item = instrument.item(cell.item_id)
    role = texts.role_prompt.format(country=texts.countries[cell.country])
    labels = displayed_labels(instrument, cell)
    options = texts.option_separator.join(
        texts.option_template.format(number=instrument.scale.min + index, label=label)
        for index, label in enumerate(labels)
    )
    stem = texts.blocks[item.block]
    question = texts.question_template.format(stem=stem, item=texts.items[item.id], options=options)
    return [
        {"role": "system", "content": f"{role} {texts.answer_instruction}"},
        {"role": "user", "content": question.strip()},
    ]


def prompt_text(messages: list[dict[str, str]]) -> str:
    """The exact text sent, as stored in the raw `prompt` column."""
    return "\n\n".join(f"[{message['role']}]\n{message['content']}" for message in messages)
