"""The embedded config's classification `max_tokens` reads every demo reply as the 8-token reply did.

The demo grid's 480 replies (the embedded model, English, max_tokens 8, temperature 0) are in
tests/parser_corpus/real_outputs.csv; reply_prefixes.json holds each cut after its first 1, 2, …
tokens (the model's tokenizer; `tests/parser_corpus/tokenize_replies.py`). A greedy reply stopped
at k tokens is its first k tokens, so parsing the prefix at the configured max_tokens is what
the probe would read.
"""

import csv
import json
from pathlib import Path

from culturewatch.config.loader import bundled_config, load_config
from tests.parser_corpus.evaluate import parse_row

CORPUS = Path(__file__).parents[1] / "parser_corpus"
PREFIXES = json.loads((CORPUS / "reply_prefixes.json").read_text(encoding="utf-8"))
with (CORPUS / PREFIXES["source"]).open(encoding="utf-8", newline="") as handle:
    REAL = list(csv.DictReader(handle))
EMBEDDED = load_config(bundled_config("embedded"))


def _demo_replies() -> list[tuple[dict[str, str], list[str]]]:
    assert EMBEDDED.grid.settings == ["english"] and EMBEDDED.models[0].name == PREFIXES["model"]
    replies = [
        (REAL[entry["row"]], entry["prefixes"]) for entry in PREFIXES["replies"] if entry["language"] == "en"
    ]
    for row, prefixes in replies:
        assert row["response_text"] == prefixes[-1] and row["style"] == "classification"
    return replies


def _reading(row: dict[str, str], text: str) -> tuple[float | None, str]:
    parsed = parse_row({**row, "response_text": text})
    return parsed.answer, parsed.status


def _changed_at(max_tokens: int) -> list[str]:
    """The demo replies whose reading at `max_tokens` differs from the 8-token reply's."""
    return [
        row["response_text"]
        for row, prefixes in _demo_replies()
        if _reading(row, prefixes[min(max_tokens, len(prefixes)) - 1]) != _reading(row, row["response_text"])
    ]


def test_the_demo_grid_replies_are_all_here() -> None:
    replies = _demo_replies()
    assert len(replies) == 480
    assert max(len(prefixes) for _, prefixes in replies) == 8  # captured at max_tokens 8


def test_the_embedded_max_tokens_reads_every_demo_reply_as_before() -> None:
    max_tokens = EMBEDDED.grid.max_tokens_for("classification")
    assert max_tokens < 8
    assert _changed_at(max_tokens) == []
    cut = [(row, prefixes[min(max_tokens, len(prefixes)) - 1]) for row, prefixes in _demo_replies()]
    parsed = sum(_reading(row, text)[1] == "ok" for row, text in cut)
    assert parsed == 479  # as at 8 tokens: one reply never names an option


def test_one_token_fewer_would_change_readings() -> None:
    """The configured max_tokens is the fewest that keeps them (29 replies read differently at 2)."""
    assert _changed_at(EMBEDDED.grid.max_tokens_for("classification") - 1)
