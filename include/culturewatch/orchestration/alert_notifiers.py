"""Airflow notifiers that send culturewatch alerts, and the delivery of one alert through them.

A Slack-compatible webhook and a generic JSON webhook on Airflow's BaseNotifier, e-mail through
the SMTP provider's SmtpNotifier. Alert text is data, never a Jinja template: the notifiers
declare no template fields and are called through `notify`, so a model name such as
`{{ var.value.secret }}` is sent as written. Which channels are still due, and the ledger, are
`culturewatch.alerts.delivery`'s.
"""

from __future__ import annotations

from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import BaseNotifier

from culturewatch.alerts import delivery
from culturewatch.alerts.channels import AlertsConfig
from culturewatch.alerts.delivery import post_json, webhook_url
from culturewatch.alerts.markup import email_html, slack_payload
from culturewatch.alerts.messages import Alert, headline, json_payload
from culturewatch.errors import CulturewatchError
from culturewatch.settings import DataPaths


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


def notifier_for(alert: Alert, channel: str, config: AlertsConfig) -> BaseNotifier:
    """The notifier that sends `alert` on `channel`, as configured."""
    if channel == "slack" and config.slack is not None:
        return SlackWebhookNotifier(
            url=webhook_url(config.slack.url_env, "slack"),
            payload=slack_payload(alert),
            idempotency_key=alert.alert_id,
        )
    if channel == "webhook" and config.webhook is not None:
        return JsonWebhookNotifier(
            url=webhook_url(config.webhook.url_env, "webhook"),
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


def send(alert: Alert, channel: str, config: AlertsConfig) -> None:
    notifier_for(alert, channel, config).notify({})


def deliver(alert: Alert, config: AlertsConfig, paths: DataPaths) -> list[str]:
    """`alerts.delivery.deliver` through these notifiers: each channel not in the ledger yet."""
    return delivery.deliver(alert, config, paths, send)
