"""Render CultureSPA cells (Xu et al. 2025, Tables 8-10, 12-14): system prompt + question template.

The options are shown as the repo shows them, "<code>.<label>" from the question's code base;
`reversed_options` shows the labels in reverse order under the same codes. Chain-of-thought
appends the shared English chain-of-thought instruction; a scenario embeds the bare question
(no options) in one of the shared open-ended scenarios, classified later by the judge.
The self-alignment strategies (P3, P1+P3, P2+P3) put answered examples before the question:
the most similar questions of its topic with the target culture's reference answer, each
written with its options in code order.
"""

from __future__ import annotations

from culturewatch.instruments.culturespa import (
    SELF_ALIGNMENT_SYSTEM_PROMPT,
    CultureSpaInstrument,
    CultureSpaTexts,
)
from culturewatch.probing.cells import ProbeCell
from culturewatch.probing.variants import displayed_labels


def _numbered(texts: CultureSpaTexts, start: int, labels: list[str]) -> str:
    return texts.option_separator.join(
        texts.option_template.format(number=start + index, label=label) for index, label in enumerate(labels)
    )


def options_text(instrument: CultureSpaInstrument, cell: ProbeCell, first_number: int | None = None) -> str:
    """The options as shown: numbered from the code base, or from `first_number` (the judge's 1)."""
    texts = instrument.languages[cell.prompt_language]
    start = instrument.scale_for(cell.item_id).min if first_number is None else first_number
    return _numbered(texts, start, displayed_labels(instrument, cell))


def self_alignment_examples(instrument: CultureSpaInstrument, cell: ProbeCell) -> str:
    """P3's answered examples for the cell's question and target culture, one per line."""
    texts = instrument.languages[cell.prompt_language]
    template = texts.self_alignment
    shown = []
    for item_id, code in instrument.self_alignment_examples(
        cell.item_id, str(cell.country), template.n_examples
    ):
        question = instrument.question(item_id)
        label = question.options[code - question.option_code_base]
        shown.append(
            template.example_template.format(
                question=question.text,
                options=_numbered(texts, question.option_code_base, question.options),
                answer=template.answer_template.format(number=code, label=label),
            )
        )
    return template.example_separator.join(shown)


def question_with_options(
    instrument: CultureSpaInstrument, cell: ProbeCell, first_number: int | None = None
) -> str:
    texts = instrument.languages[cell.prompt_language]
    question = instrument.question(cell.item_id).text
    return texts.question_template.format(
        question=question, options=options_text(instrument, cell, first_number)
    )


def system_prompt(instrument: CultureSpaInstrument, cell: ProbeCell) -> str:
    strategy = SELF_ALIGNMENT_SYSTEM_PROMPT.get(cell.strategy, cell.strategy)
    template = instrument.languages[cell.prompt_language].system_prompts[strategy]  # type: ignore[index]
    if strategy == "unaware":
        return template
    return template.format(**instrument.persona_slots(str(cell.country)))


def render_messages(instrument: CultureSpaInstrument, cell: ProbeCell) -> list[dict[str, str]]:
    system = system_prompt(instrument, cell)
    styles = instrument.styles_for(cell.prompt_language)
    if cell.style == "scenario":
        scenarios = styles.scenarios
        question = instrument.question(cell.item_id).text
        user = scenarios[cell.trial % len(scenarios)].format(question=question)
    elif cell.strategy in SELF_ALIGNMENT_SYSTEM_PROMPT:
        texts = instrument.languages[cell.prompt_language]
        user = texts.self_alignment.question_template.format(
            examples=self_alignment_examples(instrument, cell),
            question=instrument.question(cell.item_id).text,
            options=options_text(instrument, cell),
        )
    else:
        user = question_with_options(instrument, cell)
        if cell.style == "cot":
            user = f"{user}\n{styles.cot_instruction}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
