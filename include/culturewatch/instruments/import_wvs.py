"""Import the WVS-based instruments from the collected ground-truth files (docs/data-provenance.md).

    python -m culturewatch.instruments.import_wvs <folder of the collected files>

writes the packaged, committed item files that the loader reads:

- `wvs_culturespa/questions.csv`: CultureSPA's 260 WVS-7 seed questions (`in_seed_260`),
  with their answer codes (code base 0 or 1), option labels and whether the released scoring
  code evaluates them (`in_culturespa_eval`, 259: Q223 has no gold).
- `wvs_culturespa/self_alignment_examples.csv`: for every seed question, the other evaluation
  questions of its topic ranked by chrF++ (sacrebleu's `CHRF(word_order=2)`, the question's
  text as hypothesis and the candidate's as reference: the ranking that reproduces the
  released `data/self_alignment_examples.json` order), best first, ties in question order.
  CultureSPA's P3 (Self-Alignment, Choenni and Shutova 2024) shows the first five that have a
  reference answer for the target culture. A question is never ranked against itself.
- `wvs_polarity/prompts.csv`: Rystrøm et al.'s "survey 10 people" prompts, one row per
  (language, topic, variant). English: every template × topic variation (the paper's 1,750
  and the repo's duplicates), `in_sample` marking the repo's 300-prompt sample. Danish, Dutch,
  Portuguese: the repo's translated 300-prompt samples. Dutch and Portuguese rows align
  one-to-one with the English sample (same order), so they take its template and variation
  ids; the Danish sample is a different draw, so its ids are local to Danish (order of first
  appearance). Identical template texts (the repo lists two twice) get the lowest id.

Re-running it on the same inputs reproduces the files byte for byte (a test checks).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from sacrebleu.metrics import CHRF

INSTRUMENTS_DIR = Path(__file__).resolve().parent
CULTURESPA_COLUMNS = ["item_id", "topic", "question", "option_code_base", "options_json", "in_eval"]
EXAMPLE_COLUMNS = ["item_id", "rank", "example_item_id", "chrf_pp"]
POLARITY_COLUMNS = ["language", "item_id", "variant", "in_sample", "topic", "template"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def culturespa_questions(shared: Path) -> list[dict[str, object]]:
    rows = []
    for row in _rows(shared / "wvs_cultureSPA_questions.csv"):
        if row["in_seed_260"] != "1":
            continue
        codes = json.loads(row["option_codes_labels_json"])
        base = int(row["option_code_base"])
        labels = [codes[str(base + index)] for index in range(int(row["n_options"]))]
        rows.append(
            {
                "item_id": row["q_id"],
                "topic": row["topic"],
                "question": row["question"],
                "option_code_base": base,
                "options_json": json.dumps(labels, ensure_ascii=False),
                "in_eval": row["in_culturespa_eval"],
            }
        )
    return rows


def self_alignment_examples(questions: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per question, the other evaluation questions of its topic by chrF++ to it, best first."""
    chrf = CHRF(word_order=2)  # chrF++: character 6-grams plus word 1- and 2-grams, beta 2
    rows: list[dict[str, object]] = []
    for question in questions:
        candidates = [
            other
            for other in questions
            if other["topic"] == question["topic"]
            and other["in_eval"] == "1"
            and other["item_id"] != question["item_id"]
        ]
        scored = [
            (chrf.sentence_score(str(question["question"]), [str(other["question"])]).score, order, other)
            for order, other in enumerate(candidates)
        ]
        ranked = sorted(scored, key=lambda entry: (-entry[0], entry[1]))
        for rank, (score, _, other) in enumerate(ranked, start=1):
            rows.append(
                {
                    "item_id": question["item_id"],
                    "rank": rank,
                    "example_item_id": other["item_id"],
                    "chrf_pp": f"{score:.6f}",
                }
            )
    return rows


def _variant(template_id: int, variation_id: int) -> str:
    return f"tpl{template_id:02d}-var{variation_id}"


def polarity_prompts(shared: Path) -> list[dict[str, object]]:
    templates: dict[str, int] = {}
    for row in _rows(shared / "wvs_polarity_prompt_templates_en.csv"):
        templates.setdefault(row["prompt_template"], int(row["template_id"]))
    variations: dict[tuple[str, str], int] = {}
    for row in _rows(shared / "wvs_polarity_topics.csv"):
        variations[(row["question_key"], row["topic_variation_en"])] = int(row["variation_id"])
    sample = [
        row
        for row in _rows(shared / "wvs_polarity_prompts.csv")
        if row["template_type"] == "survey_hypothetical"
    ]
    by_language: dict[str, list[dict[str, str]]] = {}
    for row in sample:
        by_language.setdefault(row["language_code"], []).append(row)

    english = by_language["en"]
    english_ids = [
        (
            row["question_key"],
            templates[row["prompt_template"]],
            variations[(row["question_key"], row["topic"])],
        )
        for row in english
    ]
    sampled = set(english_ids)
    out: list[dict[str, object]] = []
    for (key, text), variation_id in sorted(variations.items(), key=lambda kv: (kv[0][0], kv[1])):
        for template, template_id in sorted(templates.items(), key=lambda kv: kv[1]):
            out.append(
                {
                    "language": "en",
                    "item_id": key,
                    "variant": _variant(template_id, variation_id),
                    "in_sample": int((key, template_id, variation_id) in sampled),
                    "topic": text,
                    "template": template,
                }
            )
    for language in sorted(set(by_language) - {"en"}):
        rows = by_language[language]
        aligned = [row["question_key"] for row in rows] == [row["question_key"] for row in english]
        local_templates: dict[str, int] = {}
        local_variations: dict[tuple[str, str], int] = {}
        seen: set[tuple[str, str]] = set()
        for index, row in enumerate(rows):
            key = row["question_key"]
            if aligned:
                _, template_id, variation_id = english_ids[index]
            else:
                template_id = local_templates.setdefault(row["prompt_template"], len(local_templates))
                per_topic = sum(1 for k, _ in local_variations if k == key)
                variation_id = local_variations.setdefault((key, row["topic"]), per_topic)
            variant = _variant(template_id, variation_id)
            if (key, variant) in seen:  # the sample drew this prompt twice: one row is enough
                continue
            seen.add((key, variant))
            out.append(
                {
                    "language": language,
                    "item_id": key,
                    "variant": variant,
                    "in_sample": 1,
                    "topic": row["topic"],
                    "template": row["prompt_template"],
                }
            )
    return out


def import_wvs(shared: Path, instruments_dir: Path = INSTRUMENTS_DIR) -> list[Path]:
    """Write the item files under `instruments_dir`; returns their paths."""
    questions = instruments_dir / "wvs_culturespa" / "questions.csv"
    examples = instruments_dir / "wvs_culturespa" / "self_alignment_examples.csv"
    prompts = instruments_dir / "wvs_polarity" / "prompts.csv"
    question_rows = culturespa_questions(shared)
    _write(questions, CULTURESPA_COLUMNS, question_rows)
    _write(examples, EXAMPLE_COLUMNS, self_alignment_examples(question_rows))
    _write(prompts, POLARITY_COLUMNS, polarity_prompts(shared))
    return [questions, examples, prompts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "shared_data", type=Path, help="the collected ground-truth files (docs/data-provenance.md)"
    )
    args = parser.parse_args()
    for path in import_wvs(args.shared_data):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
