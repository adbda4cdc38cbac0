"""The culture-joint SFT dataset (§4.4): every culture's CRQPC pairs in one set, each as a chat
whose system prompt is the culture-aware template of its culture, so one model learns them all.

Format (`sft.jsonl`, one JSON object per line, UTF-8):

    {"id": "US:G01-0001", "country": "US", "question_id": "G01-0001", "topic": "...",
     "strategy": "aware", "answer": 3, "unaware_answer": 1,
     "messages": [{"role": "system", "content": "You are a real person with an American ..."},
                  {"role": "user", "content": "Given a #Question and #Options, ..."},
                  {"role": "assistant", "content": "3"}]}

`messages` is the OpenAI chat format: the prompt exactly as the probe sends it (Table 9, or Table
10 when `answers.aware_strategy` is `cross_culture`) and the culture-aware answer as the
assistant turn. Training masks the prompt; the loss is on the assistant turn only.
"""

from __future__ import annotations

import json
from pathlib import Path

from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.retraining.prompts import answer_messages
from culturewatch.retraining.questions import SurveyQuestion
from culturewatch.retraining.selection import SelectedPair

SFT_COLUMNS = ("id", "country", "question_id", "topic", "strategy", "answer", "unaware_answer", "messages")


def sft_records(
    instrument: CultureSpaInstrument, questions: list[SurveyQuestion], pairs: list[SelectedPair]
) -> list[dict[str, object]]:
    by_id = {question.id: question for question in questions}
    records = []
    for pair in pairs:
        question = by_id[pair.question_id]
        messages = answer_messages(instrument, question, pair.strategy, pair.country)
        records.append(
            {
                "id": f"{pair.country}:{pair.question_id}",
                "country": pair.country,
                "question_id": pair.question_id,
                "topic": question.topic,
                "strategy": pair.strategy,
                "answer": pair.aware_answer,
                "unaware_answer": pair.unaware_answer,
                "messages": [*messages, {"role": "assistant", "content": str(pair.aware_answer)}],
            }
        )
    return records


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
