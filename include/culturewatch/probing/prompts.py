"""Render a probe cell into chat messages from the instrument's texts (no prompt text in code).

Styles (Bravansky et al.): `classification` asks the question with its numbered options
(Sukiennik et al., Table 1); `cot` asks the same and adds the language's chain-of-thought
instruction, which ends with a final-answer line; `scenario` embeds the question, without
options, in one of the language's open-ended scenarios (trial t uses scenario t mod 10, so
ten trials cover the ten scenarios) and its free-text answer is classified by a judge.
"""

from __future__ import annotations

from culturewatch.instruments.schema import Instrument
from culturewatch.probing.cells import ProbeCell
from culturewatch.probing.variants import displayed_labels


def stem_and_item(instrument: Instrument, cell: ProbeCell) -> tuple[str, str]:
    """The block stem and item text in the cell's language, reworded by a paraphrase variant."""
    texts = instrument.languages[cell.prompt_language]
    item = instrument.item(cell.item_id)
    paraphrase = texts.paraphrases.get(cell.variant)
    if paraphrase is None:
        return texts.blocks[item.block], texts.items[item.id]
    return paraphrase.blocks[item.block], paraphrase.items.get(item.id, texts.items[item.id])


def question_with_options(instrument: Instrument, cell: ProbeCell) -> str:
    """The item as asked in classification: stem, item, numbered options (variant order)."""
    texts = instrument.languages[cell.prompt_language]
    options = texts.option_separator.join(
        texts.option_template.format(number=instrument.scale_for(cell.item_id).min + index, label=label)
        for index, label in enumerate(displayed_labels(instrument, cell))
    )
    stem, item = stem_and_item(instrument, cell)
    return texts.question_template.format(stem=stem, item=item, options=options).strip()


def bare_question(instrument: Instrument, cell: ProbeCell) -> str:
    """Stem and item without options (what a scenario embeds)."""
    stem, item = stem_and_item(instrument, cell)
    return f"{stem} {item}".strip()


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
