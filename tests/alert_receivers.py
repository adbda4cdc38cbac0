"""Real local alert receivers for tests: an HTTP server recording webhook POSTs and an SMTP
server (aiosmtpd) recording e-mails, both on 127.0.0.1; plus a warehouse holding a hand-made
marts.alignment_regressions table with exactly the contract's columns; and an alerts config
whose channels deliver to the receivers."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from culturewatch.marts import REGRESSION_COLUMNS
from culturewatch.settings import DataPaths
from tests.local_http_server import LocalHTTPServer


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver(LocalHTTPServer):
    """Records every POST; `fail_next[path]` makes the next N posts to that path answer 500."""

    def __init__(self) -> None:
        self.posts: list[Posted] = []
        self.fail_next: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_next.get(self.path, 0) > 0:
                    receiver.fail_next[self.path] -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.posts.append(Posted(self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        super().__init__(Handler)

    def to(self, path: str) -> list[Posted]:
        return [post for post in self.posts if post.path == path]


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    def html(self) -> str:
        part = next(part for part in self.message.walk() if part.get_content_type() == "text/html")
        return part.get_content()


@dataclass
class SmtpReceiver:
    """aiosmtpd on a free port of 127.0.0.1, recording what it receives."""

    mails: list[Mail] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def __enter__(self) -> SmtpReceiver:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()

    def connection_json(self) -> str:
        """An Airflow connection (AIRFLOW_CONN_<ID>) for this server: plain SMTP, no TLS."""
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {"disable_ssl": True, "disable_tls": True, "timeout": 10, "retry_limit": 1},
            }
        )


def regression_row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "regression_id": "rid-1",
        "model": "qwen",
        "previous_version": "v1",
        "version": "v2",
        "previous_run_id": "qwen--v1--abc",
        "run_id": "qwen--v2--abc",
        "metric": "deviation_ratio_aligned",
        "country": "JP",
        "prompt_language": "ja",
        "value_before": 0.82,
        "value_after": 0.61,
        "difference": -0.21,
        "ci_low": -0.30,
        "ci_high": -0.12,
        "p_value": 0.001,
        "q_value": 0.004,
        "threshold": 0.05,
        "alpha": 0.05,
        "n_before": 6,
        "n_after": 6,
        "n_unit": "dimensions",
        "coverage_differs": False,
        "is_unstable": False,
        "direction": "regression",
        "is_comparable": True,
        "not_comparable_reason": None,
        "detected_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    }
    row.update(overrides)
    assert tuple(row) == REGRESSION_COLUMNS
    return row


REGRESSIONS_DDL = """
create or replace table marts.alignment_regressions (
    regression_id varchar, model varchar, previous_version varchar, version varchar,
    previous_run_id varchar, run_id varchar, metric varchar, country varchar,
    prompt_language varchar, value_before double, value_after double, difference double,
    ci_low double, ci_high double, p_value double, q_value double, threshold double,
    alpha double, n_before integer, n_after integer, n_unit varchar, coverage_differs boolean,
    is_unstable boolean, direction varchar, is_comparable boolean, not_comparable_reason varchar,
    detected_at timestamptz
)
"""


def write_regressions(
    paths: DataPaths, rows: list[dict[str, object]], dag_runs: dict[str, str | None] | None = None
) -> None:
    """Publish a warehouse whose marts.alignment_regressions is `rows` (tests.published), and,
    with `dag_runs`, a marts.runs naming each run's Airflow DAG run (None: probed outside Airflow)."""
    from tests.published import handmade_build

    with handmade_build(paths) as con:
        con.execute("create schema if not exists marts")
        con.execute(REGRESSIONS_DDL)
        if dag_runs is not None:
            con.execute("create or replace table marts.runs (run_id varchar, airflow_dag_run_id varchar)")
            con.executemany("insert into marts.runs values (?, ?)", list(dag_runs.items()))
        placeholders = ", ".join("?" for _ in REGRESSION_COLUMNS)
        for row in rows:
            con.execute(
                f"insert into marts.alignment_regressions values ({placeholders})", list(row.values())
            )


ALERT_CHANNELS_YAML = (
    "alerts:\n"
    "  slack: {url_env: CW_TEST_SLACK}\n"
    "  webhook: {url_env: CW_TEST_HOOK}\n"
    "  email: {smtp_conn_id: cw_test_smtp, from_email: cw@example.org, to: [ops@example.org]}\n"
)
"""A run config's `alerts:` section: Slack, webhook and e-mail, named as an operator would (URLs
in the environment, the SMTP server as an Airflow connection); deliver_alerts_to fills them in."""


def deliver_alerts_to(http: WebhookReceiver, smtp: SmtpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point ALERT_CHANNELS_YAML's channels at the receivers."""
    monkeypatch.setenv("CW_TEST_SLACK", http.url("/slack"))
    monkeypatch.setenv("CW_TEST_HOOK", http.url("/hook"))
    monkeypatch.setenv("AIRFLOW_CONN_CW_TEST_SMTP", smtp.connection_json())


def write_alerts_config(
    path: Path,
    model: str,
    http: WebhookReceiver,
    smtp: SmtpReceiver,
    monkeypatch: pytest.MonkeyPatch,
    extra: str = "",
) -> Path:
    """A run config at `path` watching `model` (never asked) whose alert channels deliver to the
    receivers; CULTUREWATCH_CONFIG points to it. `extra`: more YAML under `alerts:` (routes)."""
    deliver_alerts_to(http, smtp, monkeypatch)
    path.write_text(
        f"models:\n  - name: {model}\n    base_url: http://127.0.0.1:9/v1\n{ALERT_CHANNELS_YAML}{extra}"
    )
    monkeypatch.setenv("CULTUREWATCH_CONFIG", str(path))
    return path
