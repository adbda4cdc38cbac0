"""Render CultureSPA cells (Xu et al. 2025, Tables 8-10): persona system prompt + question template.

The options are shown as the repo shows them, "<code>.<label>" from the question's code base;
`reversed_options` shows the labels in reverse order under the same codes. Chain-of-thought
appends the shared English chain-of-thought instruction; a scenario embeds the bare question
(no options) in one of the shared open-ended scenarios, classified later by the judge.
"""

from __future__ import annotations

from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.probing.plan import ProbeCell
from culturewatch.probing.variants import displayed_labels


def options_text(instrument: CultureSpaInstrument, cell: ProbeCell, first_number: int | None = None) -> str:
    """The options as shown: numbered from the code base, or from `first_number` (the judge's 1)."""
    texts = instrument.languages[cell.prompt_language]
    start = instrument.scale_for(cell.item_id).min if first_number is None else first_number
    return texts.option_separator.join(
        texts.option_template.format(number=start + index, label=label)
        for index, label in enumerate(displayed_labels(instrument, cell))
    )


def question_with_options(
    instrument: CultureSpaInstrument, cell: ProbeCell, first_number: int | None = None
) -> str:
    texts = instrument.languages[cell.prompt_language]
    question = instrument.question(cell.item_id).text
    return texts.question_template.format(
        question=question, options=options_text(instrument, cell, first_number)
    )


def system_prompt(instrument: CultureSpaInstrument, cell: ProbeCell) -> str:
    template = instrument.languages[cell.prompt_language].system_prompts[cell.strategy]  # type: ignore[index]
    if cell.strategy == "unaware":
        return template
    return template.format(**instrument.persona_slots(str(cell.country)))


def render_messages(instrument: CultureSpaInstrument, cell: ProbeCell) -> list[dict[str, str]]:
    system = system_prompt(instrument, cell)
    styles = instrument.styles_for(cell.prompt_language)
    if cell.style == "scenario":
        scenarios = styles.scenarios
        question = instrument.question(cell.item_id).text
        user = scenarios[cell.trial % len(scenarios)].format(question=question)
    else:
        user = question_with_options(instrument, cell)
        if cell.style == "cot":
            user = f"{user}\n{styles.cot_instruction}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
