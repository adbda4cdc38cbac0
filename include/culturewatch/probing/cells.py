"""A probe cell: one model call of the grid (what every instrument kind plans, renders and reads)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProbeCell:
    """One model call of the grid; its fields (with the run id) are the raw table's key.
    `country` is None for persona-free prompts (strategy `unaware`)."""

    instrument: str
    item_id: str
    country: str | None
    prompt_language: str
    style: str
    strategy: str
    variant: str
    trial: int


Pair = tuple[str | None, str]
"""(persona country or None, prompt language)."""
