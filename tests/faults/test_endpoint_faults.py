"""The probe against a server that answers with one fault: `culturewatch probe` run in-process
against tests/faults/fault_server.py. Each test pins the exact error line the user sees and
checks from the server's request log that no answer was lost, none duplicated and no answered
prompt asked again, also across the resume that follows."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from culturewatch.probing.cache import ResponseCache
from tests.faults.conftest import (
    assert_nothing_lost_duplicated_or_asked_again,
    run_cli,
    run_events,
    stored_rows,
    write_config,
)
from tests.faults.fault_server import FaultServer

FAILED = "error: probe fake-model@v1 [en] failed with 0/3 cells on disk (kept; a retry asks only the rest): "

MALFORMED = {
    "malformed_json": (
        "MalformedReply: invalid JSON (Expecting ',' delimiter: line 1 column 52 (char 51)): HTTP 200, "
        r'content-type application/json, 51 bytes: "{\"id\": \"x\", \"choices\": [{\"message\": '
        r'{\"content\": \"3\"" (after 2 attempt(s))'
    ),
    "html": (
        "MalformedReply: not a JSON reply: HTTP 200, content-type text/html; charset=utf-8, 83 bytes: "
        r'"<html><body><h1>502 Bad Gateway</h1>\n<p>upstream \"model\" is down</p></body></html>\n" '
        "(after 2 attempt(s))"
    ),
    "empty_choices": (
        "MalformedReply: no answer (empty `choices`): HTTP 200, content-type application/json, 172 bytes: "
        r'"{\"id\": \"fault\", \"object\": \"chat.completion\", \"created\": 0, \"model\": \"fake-model\", '
        r'\"choices\": [], \"usage\": {\"prompt_token" ... (after 2 attempt(s))'
    ),
    "null_content": (
        "MalformedReply: no answer (`choices[0].message.content` is null): HTTP 200, content-type "
        r'application/json, 278 bytes: "{\"id\": \"fault\", \"object\": \"chat.completion\", \"created\": 0, '
        r'\"model\": \"fake-model\", \"choices\": [{\"index\": 0, \"finish_reaso" ... (after 2 attempt(s))'
    ),
}


@pytest.mark.parametrize("mode", sorted(MALFORMED))
def test_a_malformed_or_empty_answer_is_an_endpoint_error_retried_never_cached(paths, tmp_path, capsys, mode):
    with FaultServer(mode) as server:
        config = write_config(tmp_path / "probe.yaml", server.base_url)
        code, line = run_cli(paths, capsys, "probe", "--config", str(config))
        assert code == 2
        why = f"fake-model at {server.base_url}: {MALFORMED[mode]}"
        assert line == FAILED + why
        assert [exchange.mode for exchange in server.log] == [mode, mode]  # retried once, then failed
        assert stored_rows(paths) == []
        assert len(ResponseCache(paths.cache_db)) == 0  # never cached as an answer
        events = run_events(paths)
        assert [event["event"] for event in events] == ["started", "failed"]  # never left running
        assert events[-1]["message"] == why
        assert events[-1]["requests_sent"] == 2

        server.mode = "ok"  # the endpoint recovers: the resume asks everything again, once
        code, line = run_cli(paths, capsys, "probe", "--config", str(config))
    assert (code, line) == (0, "")
    assert [exchange.mode for exchange in server.log] == [mode, mode, "ok", "ok", "ok"]
    assert len(stored_rows(paths)) == 3
    assert_nothing_lost_duplicated_or_asked_again(server, paths)


def test_a_drip_fails_within_the_request_deadline_naming_the_endpoint(paths, tmp_path, capsys):
    # timeout_s 1, max_retries 1: the request may take 1 s x 2 attempts, whatever the server does
    with FaultServer("drip", drip_interval_s=0.05) as server:
        config = write_config(tmp_path / "probe.yaml", server.base_url, timeout_s=1, max_retries=1)
        started = time.monotonic()
        code, line = run_cli(paths, capsys, "probe", "--config", str(config))
        took = time.monotonic() - started
        assert code == 2
        assert line == (
            f"{FAILED}fake-model at {server.base_url}: no complete reply within 2 s (timeout_s 1 × 2 "
            "attempts, the request's deadline) after 2 attempt(s)"
        )
        assert took < 2 + 3  # the request's deadline, plus loading and writing
        assert [exchange.mode for exchange in server.log] == ["drip", "drip"]
        assert [event["event"] for event in run_events(paths)] == ["started", "failed"]

        server.mode = "ok"
        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
    assert len(stored_rows(paths)) == 3
    assert_nothing_lost_duplicated_or_asked_again(server, paths)


@pytest.mark.parametrize("mode", ["huge", "huge_unspaced"])
def test_a_huge_reply_is_capped_flagged_and_never_replays_a_stall(paths, tmp_path, capsys, mode):
    with FaultServer(mode, huge_bytes=10 * 1024 * 1024) as server:
        config = write_config(tmp_path / "probe.yaml", server.base_url)
        started = time.process_time()
        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
        cpu_s = time.process_time() - started
        rows = stored_rows(paths)
        assert len(rows) == 3 and {row["response_truncated"] for row in rows} == {True}
        assert {len(row["response_text"].encode()) for row in rows} == {64 * 1024}
        assert {row["parse_status"] for row in rows} == {"unparseable"}
        # a resume of cells answered but never written (a crash between cache and disk) reads the
        # capped reply from the cache: no request, and no stall
        for part in paths.run_dir(rows[0]["run_id"]).files():
            paths.store.delete(part.path)
        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
    assert len(server.log) == 3  # all from the cache the second time
    assert len(stored_rows(paths)) == 3 and {row["cache_hit"] for row in stored_rows(paths)} == {True}
    assert_nothing_lost_duplicated_or_asked_again(server, paths)
    # 3 × 10 MB served, decoded and capped, both runs, the server's own work included (it runs in
    # this process): far from the minutes of an unbounded language identification
    assert cpu_s < 3 * 3


def test_a_fault_that_clears_is_retried_and_every_attempt_counted(paths, tmp_path, capsys):
    # the first two chat requests get a malformed reply: the first cell needs three attempts
    with FaultServer("malformed_json", clear_after=2) as server:
        config = write_config(tmp_path / "probe.yaml", server.base_url, max_retries=2)
        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
    assert [exchange.mode for exchange in server.log] == ["malformed_json"] * 2 + ["ok"] * 3
    completed = run_events(paths)[-1]
    assert completed["event"] == "completed" and completed["requests_sent"] == len(server.log) == 5
    assert len(stored_rows(paths)) == 3
    assert_nothing_lost_duplicated_or_asked_again(server, paths)


def test_credentials_in_the_base_url_never_leave_the_process(paths, tmp_path, capsys, caplog):
    secret = "s3cret-pw"
    with FaultServer("ok", credentials=("alice", secret)) as server:
        url = server.base_url.replace("127.0.0.1", f"alice:{secret}@127.0.0.1")
        config = write_config(tmp_path / "probe.yaml", url)
        with caplog.at_level("INFO"):
            assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
        assert server.unauthorised == 0 and len(server.log) == 3  # the credentials were used ...
        keyed = write_config(tmp_path / "keyed.yaml", f"{server.base_url}?api-key={secret}", items=["m04"])
        with caplog.at_level("INFO"):
            code, line = run_cli(paths, capsys, "probe", "--config", str(keyed))
    assert code == 2
    assert line == (
        "error: probe fake-model@v1 [en] failed with 0/1 cells on disk (kept; a retry asks only the rest): "
        f"fake-model at {server.base_url}?api-key=***: HTTP 401: Error code: 401 - bad credentials"
    )
    httpx_lines = [record.getMessage() for record in caplog.records if record.name.startswith("httpx")]
    assert httpx_lines and all("***" in message for message in httpx_lines)
    events = run_events(paths)
    assert {event["base_url"] for event in events} == {
        f"http://***@127.0.0.1:{server.port}/v1",
        f"{server.base_url}?api-key=***",
    }
    everything = [caplog.text, line, *map(str, events), *map(str, stored_rows(paths))]
    assert not [text for text in everything if secret in text]  # ... and never written or logged


def test_an_unset_api_key_fails_before_anything_is_written(paths, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CW_FAULTS_KEY", raising=False)
    with FaultServer() as server:
        key = "    api_key_env: CW_FAULTS_KEY\n"
        config = write_config(tmp_path / "probe.yaml", server.base_url, extra_model=key)
        code, line = run_cli(paths, capsys, "probe", "--config", str(config))
    assert code == 2
    assert line == (
        "error: model 'fake-model': api_key_env names CW_FAULTS_KEY, which is not set in the environment"
    )
    assert server.log == [] and not paths.root.exists()


def test_discovery_records_and_reports_the_endpoint_without_its_credentials(paths, tmp_path, caplog):
    from culturewatch.discovery.sightings import read_sightings
    from culturewatch.discovery.watch import watch_once

    secret = "s3cret-pw"
    with FaultServer("ok", credentials=("alice", secret), models=("fake-model",)) as server:
        url = server.base_url.replace("127.0.0.1", f"alice:{secret}@127.0.0.1")
        config = write_config(tmp_path / "watch.yaml", url)
        config.write_text(config.read_text().replace("version: v1", "version: auto"))
        with caplog.at_level("INFO"):
            found = watch_once(config, paths, "w1")
        config.write_text(config.read_text().replace(f"alice:{secret}@", f"alice:{secret}-wrong@"))
        failed = watch_once(config, paths, "w2")
    assert found.errors == [] and [target.model for target in found.to_probe] == ["fake-model"]
    assert {row["location"] for row in read_sightings(paths).to_pylist()} == {
        f"http://***@127.0.0.1:{server.port}/v1"
    }
    assert failed.errors == [
        f"endpoint http://***@127.0.0.1:{server.port}/v1 (fake-model): cannot list models at "
        f"http://***@127.0.0.1:{server.port}/v1/models: HTTP 401"
    ]
    assert secret not in caplog.text and "***@127.0.0.1" in caplog.text


def test_a_stale_temporary_file_is_removed_on_resume(paths, tmp_path, capsys):
    with FaultServer("ok") as server:
        config = write_config(tmp_path / "probe.yaml", server.base_url, batch_size=1)
        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
        [folder] = {file.path.rsplit("/", 1)[0] for file in paths.raw_responses.files()}
        run_dir = Path(paths.store.fs_path(folder))
        stale = (
            run_dir / "part-20260101T000000000000-deadbeef.parquet.abcd1234.tmp"
        )  # a writer killed mid-write
        stale.write_bytes(b"PAR1 half a file")
        os.utime(stale, (time.time() - 3600, time.time() - 3600))
        live = (
            run_dir / "part-20260101T000000000001-cafebabe.parquet.0000beef.tmp"
        )  # another lane, writing now
        live.write_bytes(b"PAR1 being written")
        assert run_cli(paths, capsys, "probe", "--config", str(config)) == (0, "")
    assert not stale.exists()
    assert live.exists()  # younger than a claim's TTL: possibly a live writer's, left alone
