"""Airflow notifiers for culturewatch alerts, and the delivery of one alert to its channels.

The one module of the library that imports Airflow (the alerts DAG imports it inside its
task): a Slack-compatible webhook and a generic JSON webhook on Airflow's BaseNotifier, e-mail
through the SMTP provider's SmtpNotifier. Alert text is data, never a Jinja template: the
notifiers declare no template fields and are called through `notify`, so a model name such as
`{{ var.value.secret }}` is sent as written.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

import httpx
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import BaseNotifier

from culturewatch.alerts.config import AlertsConfig
from culturewatch.alerts.ledger import append_ledger, delivered
from culturewatch.alerts.markup import email_html, slack_payload
from culturewatch.alerts.messages import Alert, headline, json_payload
from culturewatch.alerts.plan import ledger_row
from culturewatch.errors import CulturewatchError
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)


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


class SlackWebhookNotifier(BaseNotifier):
    """Posts a Slack mrkdwn message to an incoming webhook (Slack, Mattermost, Rocket.Chat)."""

    template_fields = ()

    def __init__(self, *, url: str, payload: dict[str, object], idempotency_key: str) -> None:
        super().__init__()
        self.url = url
        self.payload = payload
        self.idempotency_key = idempotency_key

    def notify(self, context) -> None:
        import json

        post_json(self.url, json.dumps(self.payload, ensure_ascii=False), self.idempotency_key)


class JsonWebhookNotifier(BaseNotifier):
    """Posts the alert as one JSON object."""

    template_fields = ()

    def __init__(self, *, url: str, body: str, idempotency_key: str) -> None:
        super().__init__()
        self.url = url
        self.body = body
        self.idempotency_key = idempotency_key

    def notify(self, context) -> None:
        post_json(self.url, self.body, self.idempotency_key)


def _url(env: str, channel: str) -> str:
    url = os.environ.get(env)
    if not url:
        raise CulturewatchError(f"alerts.{channel}.url_env: environment variable {env} is not set")
    if not url.startswith(("http://", "https://")):
        raise CulturewatchError(f"alerts.{channel}.url_env: {env} does not hold an http(s) URL")
    return url


def notifier_for(alert: Alert, channel: str, config: AlertsConfig) -> BaseNotifier:
    """The notifier that sends `alert` on `channel`, as configured."""
    if channel == "slack" and config.slack is not None:
        return SlackWebhookNotifier(
            url=_url(config.slack.url_env, "slack"),
            payload=slack_payload(alert),
            idempotency_key=alert.alert_id,
        )
    if channel == "webhook" and config.webhook is not None:
        return JsonWebhookNotifier(
            url=_url(config.webhook.url_env, "webhook"),
            body=json_payload(alert),
            idempotency_key=alert.alert_id,
        )
    if channel == "email" and config.email is not None:
        notifier = SmtpNotifier(
            to=list(alert.email_to),
            from_email=config.email.from_email,
            subject=headline(alert),
            html_content=email_html(alert),
            smtp_conn_id=config.email.smtp_conn_id,
            custom_headers={"X-Culturewatch-Alert-Id": alert.alert_id},
        )
        return notifier
    raise CulturewatchError(f"alert {alert.alert_id}: channel {channel!r} is not configured under alerts:")


def deliver(alert: Alert, config: AlertsConfig, paths: DataPaths) -> list[str]:
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
            notifier_for(alert, channel, config).notify({})
        except Exception as exc:  # noqa: BLE001 - every channel is tried; the failures are raised below
            failures.append(f"{channel}: {exc}")
            continue
        detail = "to: " + ", ".join(alert.email_to) if channel == "email" else None
        append_ledger(paths, [ledger_row(alert, channel, detail)])
        sent.append(channel)
    if failures:
        raise CulturewatchError(f"alert {alert.alert_id} not delivered on: " + "; ".join(failures))
    return sent
