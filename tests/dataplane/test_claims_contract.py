"""The claims table's contract (culturewatch.storage.claims), on both databases it speaks: SQLite
(one host) and PostgreSQL (production, `postgresql://…` on a real server on 127.0.0.1).

One holder per lane; the whole-run claim waits for every lane and keeps lanes out; a live holder
keeps its claim by heartbeat, a stalled one loses it at expiry and learns it; and processes that
race for the same lane at the same instant get exactly one winner.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from culturewatch.errors import CulturewatchError
from culturewatch.storage.claims import WHOLE_RUN, ClaimHeld, ClaimLost, Claims

RACERS = 8
ROUNDS = 6


@pytest.fixture(params=["sqlite", "postgresql"])
def state_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claims.sqlite'}"
    return request.getfixturevalue("postgres_url")


def test_a_lane_is_held_by_one_holder_and_the_whole_run_waits_for_every_lane(state_db: str) -> None:
    claims = Claims(state_db, ttl_s=30)
    with claims.claim("run-1", "en", holder="a"):
        with pytest.raises(ClaimHeld, match=r"run run-1 lane en is held by a"):
            claims.claim("run-1", "en", holder="b")
        with claims.claim("run-1", "de", holder="b"):  # another lane of the run: fine
            with pytest.raises(ClaimHeld, match=r"run run-1 lane \* is held by (a|b)"):
                claims.claim("run-1", WHOLE_RUN, holder="c")
        with claims.claim("run-2", "en", holder="b"):  # another run: fine
            pass
    with claims.claim("run-1", WHOLE_RUN, holder="c"), pytest.raises(ClaimHeld, match=r"held by c \(lane \*"):
        claims.claim("run-1", "en", holder="a")
    assert claims.holdings("run-1") == []  # every claim was released on exit


def test_the_whole_run_claim_waits_until_the_last_lane_is_released(state_db: str) -> None:
    claims = Claims(state_db, ttl_s=30)
    lanes = [claims.claim("run-1", lane, holder=f"probe-{lane}").__enter__() for lane in ("en", "de")]

    def finish_one_after_another() -> None:
        for lane in lanes:
            time.sleep(0.7)
            lane.__exit__(None, None, None)

    releaser = threading.Thread(target=finish_one_after_another)
    started = time.monotonic()
    releaser.start()
    with claims.claim("run-1", WHOLE_RUN, wait_s=20, holder="compactor"):
        waited = time.monotonic() - started
        assert [held.lane for held in claims.holdings("run-1")] == [WHOLE_RUN]
    releaser.join()
    assert waited >= 1.4  # both lanes had to go, not just the first


def test_a_live_holder_keeps_its_claim_by_heartbeat(state_db: str) -> None:
    claims = Claims(state_db, ttl_s=0.9)
    with claims.claim("run-1", "en", holder="live") as held:
        time.sleep(2.5)  # almost three TTLs: only the heartbeat (every ttl/3) keeps it
        with pytest.raises(ClaimHeld, match="held by live"):
            claims.claim("run-1", "en", holder="other")
        held.check()  # not lost


def test_an_expired_claim_is_taken_over_and_its_old_holder_stops_writing(state_db: str) -> None:
    claims = Claims(state_db, ttl_s=0.6)
    stalled = claims.claim("run-1", "en", holder="stalled")  # acquired, then its process stalls
    time.sleep(0.8)
    with claims.claim("run-1", "en", holder="next"):
        assert [held.holder for held in claims.holdings("run-1")] == ["next"]
        assert not stalled.renew()  # its next heartbeat finds the claim taken
        with pytest.raises(ClaimLost, match="taken over; stopped writing"):
            stalled.check()


def _race(url: str, racer: int, barrier, results) -> None:
    """One process: at each round, wait at the barrier with the others, then try the lane once."""
    claims = Claims(url, ttl_s=60)
    for round_number in range(ROUNDS):
        barrier.wait(timeout=60)
        blocked = claims.try_acquire(f"race-{round_number}", "en", f"racer-{racer}")
        results.put((round_number, racer, blocked is None))


def test_processes_racing_for_one_lane_get_exactly_one_winner(state_db: str) -> None:
    Claims(state_db)  # the table exists before the race (each racer creates it otherwise)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(RACERS), context.Queue()
    racers = [
        context.Process(target=_race, args=(state_db, racer, barrier, results)) for racer in range(RACERS)
    ]
    for process in racers:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(RACERS * ROUNDS)]
    for process in racers:
        process.join(30)
    assert [process.exitcode for process in racers] == [0] * RACERS
    claims = Claims(state_db)
    for round_number in range(ROUNDS):
        winners = [racer for number, racer, won in outcomes if number == round_number and won]
        assert len(winners) == 1, (round_number, winners)
        [holding] = claims.holdings(f"race-{round_number}")
        assert holding.holder == f"racer-{winners[0]}"


def test_a_bad_state_database_url_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(CulturewatchError, match=r"state database 'mysql://db/x': use sqlite"):
        Claims("mysql://user:secret@db/x")


def test_an_unreachable_postgresql_is_one_line_without_its_password() -> None:
    with pytest.raises(CulturewatchError) as raised:
        Claims("postgresql://claims:hunter2secret@127.0.0.1:1/claims")
    message = str(raised.value)
    assert message.startswith("state database postgresql://127.0.0.1:1/claims: ")
    assert "\n" not in message and "hunter2secret" not in message
