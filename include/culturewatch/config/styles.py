"""The interaction styles a probe can ask in: one vocabulary for the run configuration (its grid)
and the per-style quality thresholds, so neither imports the other."""

from __future__ import annotations

from typing import Literal

Style = Literal["classification", "cot", "scenario"]
