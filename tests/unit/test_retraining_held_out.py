"""The held-out prompts of the distribution-shift measurement come country by country, so the
server's prefix cache evaluates each persona's system prompt once (the e2e retrain test measured
~105 new prompt tokens per request with the countries alternating)."""

from __future__ import annotations

from pathlib import Path

from culturewatch.retraining.evaluation import _held_out_prompts
from culturewatch.retraining.prompts import answer_messages
from culturewatch.retraining.retrain_config import load_retrain_config
from culturewatch.retraining.work import RetrainWork

CONFIG = """\
base_model:
  name: qwen2.5-coder-0.5b-instruct
  version: gguf-1d9614638d18
  gguf_model: qwen2.5-coder-0.5b-instruct
evaluation: {countries: [US, CN], held_out_questions: 5}
"""


def test_the_system_prompt_changes_once_per_country(tmp_path: Path) -> None:
    (tmp_path / "retrain.yaml").write_text(CONFIG)
    work = RetrainWork(tmp_path, load_retrain_config(tmp_path / "retrain.yaml"))
    instrument, prompts = _held_out_prompts(work)

    assert len(prompts) == 10 and len({(question.id, country) for question, _, country in prompts}) == 10
    systems = [answer_messages(instrument, *prompt)[0]["content"] for prompt in prompts]
    changes = sum(before != after for before, after in zip(systems, systems[1:], strict=False))
    assert changes == 1, [country for _, _, country in prompts]
