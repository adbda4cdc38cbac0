"""Bounded work: a request's deadline, the probe tasks' execution_timeout, the cap on a reply."""

from __future__ import annotations

from datetime import timedelta

import pytest

from culturewatch.config.schema import ClientLimits, ProbeConfig
from culturewatch.orchestration.lanes import TASK_ALLOWANCE_S, probe_task_timeout
from culturewatch.probing.client import cap_text


def _config(**extra: object) -> ProbeConfig:
    return ProbeConfig.model_validate(
        {
            "models": [{"name": "m", "base_url": "http://127.0.0.1:9/v1", "version": "v1"}],
            "grid": {
                "settings": ["english", "aligned"],
                "countries": ["US", "JP"],
                "items": ["m01", "m02", "m03"],
            },
            "client": {"concurrency": 2, "timeout_s": 10, "max_retries": 2},
            **extra,
        }
    )


def test_a_request_never_takes_longer_than_its_attempts_deadlines() -> None:
    assert ClientLimits(timeout_s=10, max_retries=2).request_deadline_s == 30


def test_the_probe_tasks_timeout_is_the_worst_case_of_the_largest_planned_task() -> None:
    # english: US and JP in English (6 cells, the largest task); aligned adds JP in Japanese (3)
    # 6 cells in waves of 2 = 3 waves x 30 s, + 1 s of reading per cell, + the allowance
    assert probe_task_timeout(_config()) == timedelta(seconds=3 * 30 + 6 + TASK_ALLOWANCE_S)
    judged = _config(judge={"name": "j", "base_url": "http://127.0.0.1:9/v1", "version": "v1"})
    assert probe_task_timeout(judged) == timedelta(seconds=3 * 60 + 6 + TASK_ALLOWANCE_S)


@pytest.mark.parametrize(
    ("text", "cap", "expected"),
    [
        ("short", 1024, ("short", False)),
        ("a" * 2000, 1024, ("a" * 1024, True)),
        ("é" * 600, 1024, ("é" * 512, True)),  # 2 bytes each: cut at a character boundary
        ("€" * 341 + "x", 1024, ("€" * 341 + "x", False)),  # exactly 1024 bytes
        ("a\ud800b", 1024, ("a?b", False)),  # a lone surrogate (valid JSON) cannot go to Parquet
    ],
)
def test_a_reply_is_capped_at_a_character_boundary(text: str, cap: int, expected: tuple[str, bool]) -> None:
    assert cap_text(text, cap) == expected
