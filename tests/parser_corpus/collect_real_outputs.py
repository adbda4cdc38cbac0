"""Collect real model replies for the parser corpus (a tool, run by hand; not a test).

Probes a local model with the given config into a scratch data dir and appends every reply
to `real_outputs.csv` with what the parser needs to be judged against it: language, item,
variant, style, the labels as shown, and the model that wrote it. Labels (the intended
option, `refusal` or `unparseable`) are added afterwards by annotators, in `corpus.csv`.

    python tests/parser_corpus/collect_real_outputs.py --config CONFIG [--data-dir DIR]
    python tests/parser_corpus/collect_real_outputs.py --data-dir EXISTING_DATA_DIR   # export only
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.orchestrate import plan_probe
from culturewatch.probing.probe_specs import ProbeCell
from culturewatch.probing.runner import run_probe
from culturewatch.probing.variants import displayed_labels
from culturewatch.settings import data_paths
from culturewatch.storage.parquet import read_table
from culturewatch.storage.raw_runs import stored_run_ids
from culturewatch.storage.store import Folder

OUT = Path(__file__).with_name("real_outputs.csv")
FIELDS = ["source", "language", "item_id", "style", "variant", "labels_shown", "response_text"]


def export(run_dir: Folder) -> list[dict[str, str]]:
    """The replies of one run, with what a parser (and an annotator) needs beside them."""
    rows = []
    for row in read_table(run_dir).to_pylist():
        if row["response_text"] is None:
            continue
        instrument = load_instrument(row["instrument"])
        cell = ProbeCell(**{field: row[field] for field in ProbeCell.__dataclass_fields__})
        rows.append(
            {
                "source": f"{row['model']}@{row['model_version']}",
                "language": row["prompt_language"],
                "item_id": row["item_id"],
                "style": row["style"],
                "variant": row["variant"],
                "labels_shown": " | ".join(displayed_labels(instrument, cell)),
                "response_text": row["response_text"],
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="probe this config first (into --data-dir or a scratch dir)")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    paths = data_paths(args.data_dir or tempfile.mkdtemp(prefix="corpus-"))
    run_dirs = []
    if args.config:
        for spec in plan_probe(args.config):
            run_probe(spec, paths)
            run_dirs.append(paths.run_dir(spec.run_id))
    else:
        run_dirs = [paths.run_dir(run_id) for run_id in stored_run_ids(paths)]
    rows = [row for run_dir in dict.fromkeys(run_dirs) for row in export(run_dir)]
    new_file = not OUT.exists()
    with OUT.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        if new_file:
            writer.writeheader()
        writer.writerows(rows)
    print(f"appended {len(rows)} replies to {OUT}")


if __name__ == "__main__":
    main()
