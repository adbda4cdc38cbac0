"""The embedded model's classification replies cut after each token (a tool, run by hand; not a test).

For every classification reply of `real_outputs.csv` from the given model (default: the embedded
default, whose 480 English replies are the demo grid captured at max_tokens 8), tokenizes the
reply with the model's own tokenizer (llama-cpp-python, vocabulary only, in the model server's
venv) and writes the text of its first 1, 2, ... tokens to `reply_prefixes.json`: what the same
greedy reply reads as when `max_tokens` stops it there (greedy decoding produces the same first
tokens whatever the limit). `tests/unit/test_classification_max_tokens.py` parses those
prefixes at the configured `max_tokens`.

    python tests/parser_corpus/tokenize_replies.py [--model qwen2.5-coder-1.5b-instruct]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
from pathlib import Path

from culturewatch.serving.llama_server import model_server_python
from culturewatch.serving.model_files import assemble
from culturewatch.settings import MODELS_DIR_ENV, PROJECT_ROOT

REAL_OUTPUTS = Path(__file__).with_name("real_outputs.csv")
OUT = Path(__file__).with_name("reply_prefixes.json")
MAX_PREFIX_TOKENS = 8
TOKENIZE = """
import json, sys, llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], vocab_only=True, verbose=False)
prefixes = []
for text in json.load(sys.stdin):
    ids = llm.tokenize(text.encode(), add_bos=False, special=False)[: int(sys.argv[2])]
    prefixes.append([llm.detokenize(ids[: n + 1]).decode("utf-8", errors="replace") for n in range(len(ids))])
json.dump(prefixes, sys.stdout)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    args = parser.parse_args()
    with REAL_OUTPUTS.open(encoding="utf-8", newline="") as handle:
        rows = [
            (line, row)
            for line, row in enumerate(csv.DictReader(handle))
            if row["source"].startswith(f"{args.model}@") and row["style"] == "classification"
        ]
    model_path = assemble(args.model, Path(os.environ.get(MODELS_DIR_ENV, PROJECT_ROOT / "models")))
    texts = [row["response_text"] for _, row in rows]
    tokenized = subprocess.run(
        [str(model_server_python()), "-c", TOKENIZE, str(model_path), str(MAX_PREFIX_TOKENS)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    prefixes = json.loads(tokenized.stdout)
    entries = [
        {"row": line, "language": row["language"], "response_text": row["response_text"], "prefixes": cut}
        for (line, row), cut in zip(rows, prefixes, strict=True)
    ]
    header = json.dumps({"model": args.model, "source": REAL_OUTPUTS.name}, ensure_ascii=False)[:-1]
    lines = ",\n  ".join(json.dumps(entry, ensure_ascii=False) for entry in entries)
    OUT.write_text(f'{header}, "replies": [\n  {lines}\n]}}\n', encoding="utf-8")
    print(f"wrote {len(entries)} replies' token prefixes to {OUT}")


if __name__ == "__main__":
    main()
