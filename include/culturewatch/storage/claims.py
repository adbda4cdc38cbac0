"""Claims: one holder per (run, lane) at a time, across processes and hosts, expiring when it dies.

A probe of a run's lane (one prompt language of one model version) first claims it, then lists
what is missing and asks only that; a second process or Airflow task of the same lane waits for
the claim (or gives up with a one-line error naming the holder), and then finds nothing left to
ask. A claim is a row of `culturewatch_claims` in a SQL database every worker reaches
(`CULTUREWATCH_STATE_DB`: PostgreSQL in production; a SQLite file for one machine), with an
expiry the holder's heartbeat pushes forward every ttl/3 seconds. A killed holder stops beating,
its claim expires after `ttl_s`, and the next claimant resumes the run. A holder whose claim was
taken over (it stalled past its expiry) learns it at its next `check()` and stops writing.

Lane `*` claims the whole run (compaction): it waits for every lane claim of the run and keeps
new ones out while it holds.

Acquiring is one transaction that serialises the run's claimants: SQLite `BEGIN IMMEDIATE`,
PostgreSQL a transaction-scoped advisory lock on the run id. Expiry times are the holders'
clocks (UTC epoch seconds): hosts keep them in step with NTP, and the TTL (default 60 s) dwarfs
the skew.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from culturewatch.errors import CulturewatchError
from culturewatch.storage.store import redacted_url

log = logging.getLogger(__name__)

TTL_ENV = "CULTUREWATCH_CLAIM_TTL_S"
WAIT_ENV = "CULTUREWATCH_CLAIM_WAIT_S"
WHOLE_RUN = "*"
DEFAULT_TTL_S = 60.0

_SCHEMA = (
    "create table if not exists culturewatch_claims ("
    " run_id text not null, lane text not null, holder text not null,"
    " acquired_at double precision not null, expires_at double precision not null,"
    " primary key (run_id, lane))"
)


class ClaimHeld(CulturewatchError):
    """Another live holder has the claim."""


class ClaimLost(CulturewatchError):
    """The claim expired and another holder took it: stop writing."""


def default_ttl() -> float:
    """How long a claim outlives its holder's last heartbeat ($CULTUREWATCH_CLAIM_TTL_S, 60 s)."""
    return float(os.environ.get(TTL_ENV, DEFAULT_TTL_S))


def claim_wait_s() -> float:
    """How long a probe waits for a lane another holder has ($CULTUREWATCH_CLAIM_WAIT_S, 300 s)."""
    return float(os.environ.get(WAIT_ENV, 300))


def new_holder() -> str:
    """This process's identity in the claims table: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Database:
    """The two SQL dialects the claims speak: sqlite3 and psycopg2, one connection per use."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0]
        if scheme == "sqlite":
            self.kind = "sqlite"
            self.path = Path(url.split(":///", 1)[1] if ":///" in url else parts.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif scheme in ("postgresql", "postgres"):
            self.kind = "postgresql"
            self.dsn = url.replace(f"{parts.scheme}://", "postgresql://", 1)
        else:
            raise CulturewatchError(
                f"state database {redacted_url(url)!r}: use sqlite:///<file> or postgresql://…"
            )
        self.url = redacted_url(url)
        with self.transaction(run_id=None) as cursor:
            cursor.execute(_SCHEMA)

    def transaction(self, run_id: str | None):
        return _Transaction(self, run_id)

    def placeholder(self, sql: str) -> str:
        return sql if self.kind == "sqlite" else sql.replace("?", "%s")


class _Transaction:
    """A transaction holding the run's lock until it ends (commit, or rollback on error)."""

    def __init__(self, database: _Database, run_id: str | None) -> None:
        self.database, self.run_id = database, run_id

    def __enter__(self):
        if self.database.kind == "sqlite":
            self.connection = sqlite3.connect(self.database.path, timeout=30, isolation_level=None)
            self.cursor = self.connection.cursor()
            self.cursor.execute("begin immediate")
        else:
            import psycopg2

            try:
                self.connection = psycopg2.connect(self.database.dsn, connect_timeout=10)
            except psycopg2.Error as exc:
                detail = " ".join(str(exc).split())  # libpq's message spans lines: one line
                raise CulturewatchError(f"state database {self.database.url}: {detail}") from exc
            self.cursor = self.connection.cursor()
            if self.run_id is not None:
                self.cursor.execute("select pg_advisory_xact_lock(hashtext(%s))", (self.run_id,))
        return _Cursor(self.database, self.cursor)

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if self.database.kind == "sqlite":
                self.cursor.execute("commit" if kind is None else "rollback")
            elif kind is None:
                self.connection.commit()
            else:
                self.connection.rollback()
        finally:
            self.connection.close()


class _Cursor:
    def __init__(self, database: _Database, cursor) -> None:
        self.database, self.cursor = database, cursor

    def execute(self, sql: str, parameters: tuple = ()) -> int:
        self.cursor.execute(self.database.placeholder(sql), parameters)
        return self.cursor.rowcount

    def fetchall(self) -> list[tuple]:
        return self.cursor.fetchall()


@dataclass(frozen=True)
class Holding:
    """A live claim someone holds."""

    run_id: str
    lane: str
    holder: str
    expires_at: float


class Claims:
    """The claims table of one state database."""

    def __init__(self, url: str, ttl_s: float | None = None) -> None:
        self.database = _Database(url)
        self.ttl_s = ttl_s if ttl_s is not None else default_ttl()

    def holdings(self, run_id: str) -> list[Holding]:
        """The live claims of a run."""
        with self.database.transaction(run_id) as cursor:
            return self._live(cursor, run_id, time.time())

    def _live(self, cursor: _Cursor, run_id: str, now: float) -> list[Holding]:
        cursor.execute(
            "select run_id, lane, holder, expires_at from culturewatch_claims"
            " where run_id = ? and expires_at > ?",
            (run_id, now),
        )
        return [Holding(*row) for row in cursor.fetchall()]

    def try_acquire(self, run_id: str, lane: str, holder: str) -> Holding | None:
        """Take the claim and return None, or return the live claim that blocks it."""
        now = time.time()
        with self.database.transaction(run_id) as cursor:
            for held in self._live(cursor, run_id, now):
                if held.holder == holder:
                    continue
                if lane == WHOLE_RUN or held.lane in (lane, WHOLE_RUN):
                    return held
            cursor.execute(
                "insert into culturewatch_claims (run_id, lane, holder, acquired_at, expires_at)"
                " values (?, ?, ?, ?, ?) on conflict (run_id, lane) do update set"
                " holder = excluded.holder, acquired_at = excluded.acquired_at,"
                " expires_at = excluded.expires_at",
                (run_id, lane, holder, now, now + self.ttl_s),
            )
        return None

    def renew(self, run_id: str, lane: str, holder: str) -> bool:
        """Push the claim's expiry forward; False when another holder has taken it over."""
        now = time.time()
        with self.database.transaction(None) as cursor:
            changed = cursor.execute(
                "update culturewatch_claims set expires_at = ? where run_id = ? and lane = ? and holder = ?",
                (now + self.ttl_s, run_id, lane, holder),
            )
        return changed == 1

    def release(self, run_id: str, lane: str, holder: str) -> None:
        with self.database.transaction(None) as cursor:
            cursor.execute(
                "delete from culturewatch_claims where run_id = ? and lane = ? and holder = ?",
                (run_id, lane, holder),
            )

    def claim(self, run_id: str, lane: str, *, wait_s: float = 0.0, holder: str | None = None) -> Claim:
        """Acquire the claim, waiting up to `wait_s` for a live holder to finish or die; the
        returned Claim is a context manager that beats until it is left."""
        holder = holder or new_holder()
        deadline = time.monotonic() + wait_s
        announced = False
        while True:
            blocking = self.try_acquire(run_id, lane, holder)
            if blocking is None:
                return Claim(self, run_id, lane, holder)
            left = blocking.expires_at - time.time()
            if time.monotonic() >= deadline:
                raise ClaimHeld(
                    f"run {run_id} lane {lane} is held by {blocking.holder} (lane {blocking.lane}, its "
                    f"claim runs {left:.0f} s more unless renewed): not asking anything twice; "
                    "retry when it has finished"
                )
            if not announced:
                log.info(
                    "run %s lane %s is held by %s (lane %s, expires in %.0f s unless renewed): waiting up "
                    "to %.0f s",
                    run_id,
                    lane,
                    blocking.holder,
                    blocking.lane,
                    left,
                    wait_s,
                )
                announced = True
            time.sleep(min(1.0, max(0.05, self.ttl_s / 10), max(0.0, deadline - time.monotonic())))


class Claim:
    """A held claim. As a context manager it renews itself every ttl/3 s and is released on exit;
    `check()` raises ClaimLost once a renewal found the claim taken."""

    def __init__(self, claims: Claims, run_id: str, lane: str, holder: str) -> None:
        self.claims, self.run_id, self.lane, self.holder = claims, run_id, lane, holder
        self._stop = threading.Event()
        self._lost: str | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Claim:
        self._thread = threading.Thread(
            target=self._beat, name=f"claim-{self.run_id}-{self.lane}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._lost is None:
            self.claims.release(self.run_id, self.lane, self.holder)

    def renew(self) -> bool:
        """One heartbeat: push the expiry forward; False (and `check()` raises from now on) when
        another holder took the claim over."""
        if self._lost is None and not self.claims.renew(self.run_id, self.lane, self.holder):
            self._lost = "its claim expired and was taken over"
        return self._lost is None

    def _beat(self) -> None:
        interval = self.claims.ttl_s / 3
        while not self._stop.wait(interval):
            try:
                if not self.renew():
                    return
            except Exception as exc:  # a database hiccup: try again next beat, the TTL covers it
                log.warning("claim %s/%s: renewal failed: %s", self.run_id, self.lane, exc)

    def check(self) -> None:
        if self._lost is not None:
            raise ClaimLost(
                f"run {self.run_id} lane {self.lane}: {self._lost}; stopped writing (nothing is lost)"
            )
