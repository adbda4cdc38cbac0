"""LLM-as-judge for value polarity (Rystrøm et al.): one stance per hypothetical respondent."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from culturewatch.probing.judge import VersionedJudgePrompt
from culturewatch.yaml_files import load_model

POLARITY_JUDGE_YAML = Path(__file__).with_name("polarity_judge.yaml")
STANCES = ("pro", "con", "null")
_LIST = re.compile(r'"opinions"\s*:\s*\[([^\]]*)', re.DOTALL)
_QUOTED = re.compile(r'"([^"]*)"')


class PolarityJudgePrompt(VersionedJudgePrompt):
    system: str

    def messages(self, response: str, topic: str) -> list[dict[str, str]]:
        user = json.dumps({"response": response, "topic": topic}, ensure_ascii=False)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


@cache
def polarity_judge_prompt() -> PolarityJudgePrompt:
    return load_model(POLARITY_JUDGE_YAML, PolarityJudgePrompt)


def _stance(label: object) -> str | None:
    text = str(label).strip().lower()
    return text if text in STANCES else None


def read_stances(judge_reply: str | None) -> list[str] | None:
    """The judge's stances in order (`pro`, `con`, `null`), or None when the reply has no
    readable `opinions` list. An unknown label makes the whole reply unreadable: a label is
    never guessed."""
    if not judge_reply:
        return None
    text = judge_reply.strip().removeprefix("```json").strip("`\n ")
    try:
        labels = json.loads(text).get("opinions")
    except (ValueError, AttributeError):
        match = _LIST.search(text)
        # not JSON (e.g. cut off at max_tokens): the labels that were written out in full
        labels = _QUOTED.findall(match.group(1)) if match else None
    if not isinstance(labels, list) or not labels:
        return None
    stances = [_stance(label) for label in labels]
    return None if any(stance is None for stance in stances) else stances  # type: ignore[return-value]
