"""A durable response cache keyed by the full request: resuming a run asks the model nothing twice.

Answers are committed in groups (one SQLite transaction per `commit`), not one by one: a commit
of its own cost about 125 µs per answer, a group a few µs. The owner commits at least every
`COMMIT_INTERVAL_S` while answers are pending (`ChatClient` arms a timer on the event loop when
the first one arrives), at once when `MAX_PENDING` are, and on `close`, which every way out of a
probe passes through (an error, Ctrl-C, SIGTERM, Airflow's timeout). So a kill that runs no
Python (SIGKILL, the machine going down) loses at most the answers of the last
COMMIT_INTERVAL_S: they are neither cached nor on disk, and a resume asks them again; nothing
half-written is ever read back (a transaction is all or nothing). An answer this process has
put is found by `get` before it is committed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path

COMMIT_INTERVAL_S = 0.05
"""The longest an answer waits in memory before it is committed (what a SIGKILL can lose)."""
MAX_PENDING = 256
"""Answers committed at once when this many are pending, whatever their age."""


def canonical_request(request: Mapping[str, object]) -> tuple[str, str]:
    """(sha256 key, canonical JSON) of the whole request (model, version, messages, sampling, trial)."""
    text = json.dumps(request, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest(), text


def request_key(request: Mapping[str, object]) -> str:
    """sha256 of the canonical JSON of the whole request."""
    return canonical_request(request)[0]


class ResponseCache:
    """SQLite (WAL) so concurrent mapped tasks on one machine can share it safely."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        self._db.execute(
            "create table if not exists responses ("
            " key text primary key, request text not null, response text not null,"
            " created_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
        )
        self._pending: dict[str, tuple[str, str]] = {}

    @property
    def pending(self) -> int:
        """Answers put but not committed yet."""
        return len(self._pending)

    def get(self, key: str) -> dict[str, object] | None:
        with self._lock:
            waiting = self._pending.get(key)
            if waiting is not None:
                return json.loads(waiting[1])
            row = self._db.execute("select response from responses where key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, request: Mapping[str, object] | str, response: Mapping[str, object]) -> None:
        """Keep an answer (committed with the next `commit`, at once when MAX_PENDING are waiting).
        `request` is the request or its JSON text."""
        text = request if isinstance(request, str) else json.dumps(request, ensure_ascii=False)
        with self._lock:
            self._pending[key] = (text, json.dumps(response, ensure_ascii=False))
            full = len(self._pending) >= MAX_PENDING
        if full:
            self.commit()

    def commit(self) -> None:
        """Write every pending answer in one transaction."""
        with self._lock:
            if not self._pending:
                return
            rows = [(key, request, response) for key, (request, response) in self._pending.items()]
            self._db.execute("begin immediate")
            try:
                self._db.executemany(
                    "insert or replace into responses (key, request, response) values (?, ?, ?)", rows
                )
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")
            self._pending.clear()

    def __len__(self) -> int:
        self.commit()
        with self._lock:
            return self._db.execute("select count(*) from responses").fetchone()[0]

    def close(self) -> None:
        try:
            self.commit()
        finally:
            with self._lock:
                self._db.close()
