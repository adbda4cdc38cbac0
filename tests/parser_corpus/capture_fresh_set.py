"""Capture a fresh set of real replies for the parser's generalisation set (a tool, run by hand).

Asks one model, served OpenAI-compatibly (e.g. `culturewatch serve-model --port 8131`), a
seeded sample of VSM 2013 cells in every prompt language and all three styles, rendered by
culturewatch's own prompt code (`render_messages`), and appends each reply with what an
annotator (and later the parser) needs beside it to `fresh/replies.csv`, plus its timing. The
sample per language: `--classification` items in the classification style (any variant), one
chain-of-thought and one scenario cell; the persona is the language's own country (the
`aligned` setting). Sampling is temperature 0.7 with a per-call seed, so the replies differ
from the existing corpus's (temperature 0 or other seeds).

    python tests/parser_corpus/capture_fresh_set.py --model qwen2.5-coder-0.5b-instruct \
        --version gguf-1d9614638d18 --base-url http://127.0.0.1:8131/v1

Labels are added by hand afterwards, in `fresh/labelled.csv` (see fresh/README.md), before
the parser is run on the set.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

from openai import OpenAI

from culturewatch.instruments.loader import load_instrument
from culturewatch.instruments.schema import Instrument
from culturewatch.probing.probe_specs import ProbeCell
from culturewatch.probing.rendering import render_messages
from culturewatch.probing.variants import displayed_labels
from culturewatch.reference.countries import load_countries

OUT = Path(__file__).with_name("fresh") / "replies.csv"
FIELDS = [
    "source", "language", "country", "item_id", "style", "variant", "trial", "labels_shown",
    "response_text", "finish_reason", "prompt_tokens", "completion_tokens", "latency_s",
]  # fmt: skip
MAX_TOKENS = {"classification": 32, "cot": 256, "scenario": 160}
TEMPERATURE = 0.7


def sample_cells(instrument: Instrument, classification: int, seed: int) -> list[ProbeCell]:
    """Per language: `classification` items (any variant), one cot and one scenario cell."""
    rng = random.Random(seed)
    country_of = {}
    for country in load_countries():
        country_of.setdefault(country.language_code, country.country_code)
    languages = sorted(instrument.languages)
    variants = ["base", "reversed_options", *sorted(next(iter(instrument.languages.values())).paraphrases)]
    cells = []
    for language in languages:
        items = rng.sample(instrument.item_ids, classification + 2)
        country = country_of[language]
        for item in items[:classification]:
            variant = rng.choice(variants)
            cells.append(
                ProbeCell(instrument.id, item, country, language, "classification", "aware", variant, 0)
            )
        cells.append(ProbeCell(instrument.id, items[-2], country, language, "cot", "aware", "base", 0))
        trial = rng.randrange(10)  # one of the ten scenarios
        cells.append(
            ProbeCell(instrument.id, items[-1], country, language, "scenario", "aware", "base", trial)
        )
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model name as the server serves it")
    parser.add_argument("--version", required=True, help="version identity (e.g. gguf-<sha256 prefix>)")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--classification", type=int, default=4, help="classification cells per language")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--styles", nargs="+", default=["classification", "cot", "scenario"])
    args = parser.parse_args()
    instrument = load_instrument("vsm2013")
    assert isinstance(instrument, Instrument)
    client = OpenAI(base_url=args.base_url, api_key="not-needed", timeout=600)
    OUT.parent.mkdir(exist_ok=True)
    new_file = not OUT.exists()
    cells = [
        cell for cell in sample_cells(instrument, args.classification, args.seed) if cell.style in args.styles
    ]
    with OUT.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        if new_file:
            writer.writeheader()
        for index, cell in enumerate(cells):
            started = time.perf_counter()
            reply = client.chat.completions.create(
                model=args.model,
                messages=render_messages(instrument, cell),  # type: ignore[arg-type]
                temperature=TEMPERATURE,
                max_tokens=MAX_TOKENS[cell.style],
                seed=args.seed * 1000 + index,
            )
            latency = time.perf_counter() - started
            choice = reply.choices[0]
            writer.writerow(
                {
                    "source": f"{args.model}@{args.version}",
                    "language": cell.prompt_language,
                    "country": cell.country,
                    "item_id": cell.item_id,
                    "style": cell.style,
                    "variant": cell.variant,
                    "trial": cell.trial,
                    "labels_shown": " | ".join(displayed_labels(instrument, cell)),
                    "response_text": choice.message.content or "",
                    "finish_reason": choice.finish_reason,
                    "prompt_tokens": reply.usage.prompt_tokens if reply.usage else "",
                    "completion_tokens": reply.usage.completion_tokens if reply.usage else "",
                    "latency_s": f"{latency:.2f}",
                }
            )
            handle.flush()
            print(f"{index + 1}/{len(cells)} {cell.prompt_language} {cell.style} {latency:.1f}s", flush=True)


if __name__ == "__main__":
    main()
