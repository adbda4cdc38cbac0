"""A durable response cache keyed by the full request: resuming a run asks the model nothing twice."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path


def request_key(request: Mapping[str, object]) -> str:
    """sha256 of the canonical JSON of the whole request (model, version, messages, sampling, trial)."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


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

    def get(self, key: str) -> dict[str, object] | None:
        with self._lock:
            row = self._db.execute("select response from responses where key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, request: Mapping[str, object], response: Mapping[str, object]) -> None:
        with self._lock:
            self._db.execute(
                "insert or replace into responses (key, request, response) values (?, ?, ?)",
                (
                    key,
                    json.dumps(request, ensure_ascii=False),
                    json.dumps(response, ensure_ascii=False),
                ),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("select count(*) from responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
