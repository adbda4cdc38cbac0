"""Progress of a probe: cheap counts from Parquet footers (no data read), and a per-answer count
that probe tasks log and leave in this host's data dir for `culturewatch demo`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from culturewatch.storage.store import Folder

if TYPE_CHECKING:
    from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)
PROGRESS_DIR = "progress"


def rows_on_disk(folder: Folder) -> int:
    """Rows in every written Parquet file under `folder` (temporaries end in .tmp and are skipped)."""
    store = folder.store
    total = 0
    for file in folder.files(".parquet"):
        with store.fs.open_input_file(store.fs_path(file.path)) as source:
            total += pq.read_metadata(source).num_rows
    return total


class AnswerProgress:
    """Counts a probe task's answers one by one (the runner calls it once per answer): logs a
    running count with the rate every `every` answers (and the last one), and keeps a small
    progress file in this host's data dir that `culturewatch demo` reads for its bar, so progress
    moves per answer, not per written batch."""

    def __init__(self, paths: DataPaths, label: str, total: int, every: int = 10) -> None:
        self.label, self.total, self.every = label, total, max(1, every)
        self.done = 0
        self.started = time.monotonic()
        self.file = paths.root / PROGRESS_DIR / f"{hashlib.sha256(label.encode()).hexdigest()[:16]}.json"
        self.file.parent.mkdir(parents=True, exist_ok=True)
        self._write()

    def __call__(self, answered: int = 1) -> None:
        self.done += answered
        if self.done % self.every == 0 or self.done >= self.total:
            log.info("%s", self.line())
        self._write()

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """`qwen@v1 [en]: 48/480 answers (10%), 1.92 answers/s, ~3.8 min left`."""
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        left = (self.total - self.done) / self.rate / 60 if self.rate > 0 and self.total > self.done else 0.0
        return (
            f"{self.label}: {self.done}/{self.total} answers{share}, {self.rate:.2f} answers/s, "
            f"~{left:.1f} min left"
        )

    def _write(self) -> None:
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"label": self.label, "answered": self.done, "total": self.total}))
        os.replace(temporary, self.file)


def answers_in_progress(paths: DataPaths) -> int:
    """Answers counted so far by the probe tasks of this host (their progress files)."""
    total = 0
    for file in (paths.root / PROGRESS_DIR).glob("*.json"):
        try:
            total += int(json.loads(file.read_text())["answered"])
        except (OSError, ValueError, KeyError):  # being replaced right now: counted next time
            continue
    return total


def clear_progress(paths: DataPaths) -> None:
    for file in (paths.root / PROGRESS_DIR).glob("*.json"):
        file.unlink(missing_ok=True)
