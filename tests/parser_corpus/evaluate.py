"""Score the answer parser against a labelled corpus; `python -m tests.parser_corpus.evaluate [CSV]`
prints accuracy per language, style and source (the numbers in docs/benchmarks.md). Default:
the tuning corpus, corpus.csv; fresh/labelled.csv is the generalisation set."""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.interpret import answer_options, parse_reply
from culturewatch.probing.parse import PARSER_VERSION, ParsedAnswer

CORPUS = Path(__file__).with_name("corpus.csv")
FRESH_SET = Path(__file__).parent / "fresh" / "labelled.csv"


@dataclass(frozen=True)
class Scored:
    row: dict[str, str]
    parsed: ParsedAnswer

    @property
    def expected(self) -> tuple[float | None, str]:
        answer = self.row["expected_answer"]
        return (float(answer) if answer else None, self.row["expected_status"])

    @property
    def correct(self) -> bool:
        return (self.parsed.answer, self.parsed.status) == self.expected


def load_corpus(path: Path = CORPUS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def parse_row(row: dict[str, str]) -> ParsedAnswer:
    """Parse a corpus reply exactly as the probe would for its language and style."""
    instrument = load_instrument("vsm2013")
    language = row["language"]
    options = answer_options(instrument, row["item_id"], language, row["labels_shown"].split(" | "))
    return parse_reply(instrument, row["response_text"], row["style"], language, options)


def score(rows: list[dict[str, str]]) -> list[Scored]:
    return [Scored(row, parse_row(row)) for row in rows]


def report(scored: list[Scored]) -> str:
    by_language: dict[str, list[Scored]] = defaultdict(list)
    for item in scored:
        by_language[item.row["language"]].append(item)
    total = sum(item.correct for item in scored)
    lines = [f"parser {PARSER_VERSION}: {total}/{len(scored)} = {total / len(scored):.1%} correct"]
    for language, items in sorted(by_language.items()):
        right = sum(item.correct for item in items)
        real = sum(item.row["source"] != "hand-written" for item in items)
        lines.append(f"  {language}  {right:>3}/{len(items):<3} {right / len(items):6.1%}   ({real} real)")
    for field in ("style", "source"):
        groups: dict[str, list[Scored]] = defaultdict(list)
        for item in scored:
            groups[item.row[field]].append(item)
        for name, items in sorted(groups.items()):
            right = sum(item.correct for item in items)
            lines.append(f"  {field} {name}: {right}/{len(items)} = {right / len(items):.1%}")
    wrong = [item for item in scored if not item.correct]
    for item in wrong:
        lines.append(
            f"  MISS {item.row['id']} [{item.row['language']}] expected {item.expected} got "
            f"{(item.parsed.answer, item.parsed.status)}: {item.row['response_text'][:70]!r}"
        )
    cases = Counter(item.row["case"] for item in scored)
    lines.append("cases: " + ", ".join(f"{case} {n}" for case, n in sorted(cases.items())))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(score(load_corpus(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS))))
