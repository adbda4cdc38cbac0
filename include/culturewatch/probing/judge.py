"""LLM-as-judge for free-text answers (Bravansky et al., App. B.1): which option, or none."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from culturewatch.yaml_files import load_model

JUDGE_YAML = Path(__file__).with_name("judge.yaml")
_CLASSIFICATION = re.compile(r'"classification"\s*:\s*"?\s*(\d+)')


class VersionedJudgePrompt(BaseModel):
    """What every judge's YAML holds besides its prompt: a version (recorded per judged row) and
    the reply budget."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    max_tokens: int


class JudgePrompt(VersionedJudgePrompt):
    prompt: str

    def messages(self, question: str, response: str) -> list[dict[str, str]]:
        # str.replace, not format: the prompt's JSON example has braces of its own
        content = self.prompt.replace("{question}", question).replace("{response}", response)
        return [{"role": "user", "content": content}]


@cache
def judge_prompt() -> JudgePrompt:
    return load_model(JUDGE_YAML, JudgePrompt)


def judged_option(judge_reply: str | None, scale_min: int, scale_max: int) -> int | None:
    """The option the judge chose, or None for "0" (unclassifiable), out of range, or no verdict."""
    if not judge_reply:
        return None
    try:
        value = json.loads(judge_reply.strip().removeprefix("```json").strip("`\n "))
        chosen = int(str(value.get("classification", "")).strip())
    except (ValueError, AttributeError, TypeError):
        match = _CLASSIFICATION.search(judge_reply)
        if not match:
            return None
        chosen = int(match.group(1))
    return chosen if scale_min <= chosen <= scale_max else None
