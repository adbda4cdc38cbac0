"""Delivering one alert: on each of its channels once, each delivery recorded in the ledger as
soon as the channel accepted it, and the webhook POST the notifiers make. What sends on a channel
is passed in (`send`): the Airflow notifiers of `culturewatch.orchestration.alert_notifiers`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from culturewatch.alerts.channels import AlertsConfig
from culturewatch.alerts.ledger import append_ledger, delivered
from culturewatch.alerts.messages import Alert
from culturewatch.alerts.outbox import ledger_row
from culturewatch.errors import CulturewatchError
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)

Send = Callable[[Alert, str, AlertsConfig], None]
"""Send `alert` on `channel` as `config` configures it; raises if the channel did not accept it."""


def _where(url: str) -> str:
    """A webhook URL without its path (the path of a Slack webhook is its secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def post_json(url: str, body: str, idempotency_key: str, timeout_s: float = 30.0) -> None:
    try:
        reply = httpx.post(
            url,
            content=body.encode(),
            headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": idempotency_key},
            timeout=timeout_s,
        )
        reply.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise CulturewatchError(
            f"webhook at {_where(url)} refused alert {idempotency_key}: HTTP {exc.response.status_code}"
        ) from exc
    except httpx.HTTPError as exc:
        raise CulturewatchError(
            f"webhook at {_where(url)}: {type(exc).__name__} sending alert {idempotency_key}"
        ) from exc


def webhook_url(env: str, channel: str) -> str:
    """The URL a channel's `url_env` names, checked."""
    url = os.environ.get(env)
    if not url:
        raise CulturewatchError(f"alerts.{channel}.url_env: environment variable {env} is not set")
    if not url.startswith(("http://", "https://")):
        raise CulturewatchError(f"alerts.{channel}.url_env: {env} does not hold an http(s) URL")
    return url


def deliver(alert: Alert, config: AlertsConfig, paths: DataPaths, send: Send) -> list[str]:
    """Send `alert` on each of its channels that the ledger does not have yet, recording each
    delivery as soon as the channel accepted it. Returns the channels sent now; raises after
    trying them all if any failed (a retry then sends only those)."""
    done = delivered(paths)
    sent: list[str] = []
    failures: list[str] = []
    for channel in alert.channels:
        if (alert.alert_id, channel) in done:
            log.info("alert %s: %s already delivered, not sending again", alert.alert_id, channel)
            continue
        try:
            send(alert, channel, config)
        except Exception as exc:  # noqa: BLE001 - every channel is tried; the failures are raised below
            failures.append(f"{channel}: {exc}")
            continue
        detail = "to: " + ", ".join(alert.email_to) if channel == "email" else None
        append_ledger(paths, [ledger_row(alert, channel, detail)])
        sent.append(channel)
    if failures:
        raise CulturewatchError(f"alert {alert.alert_id} not delivered on: " + "; ".join(failures))
    return sent
