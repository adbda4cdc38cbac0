"""The "data quality failed" notification: its text, and delivery to the log and webhooks.

Delivery: always the log (the Airflow task log when called from the notifier); a generic JSON
webhook when `$CULTUREWATCH_QUALITY_WEBHOOK_URL` is set; and the Slack and webhook channels of the
run configuration's `alerts:` section (the regression alerts' channels and per-model routes),
when a configuration is given. E-mail is left to the regression alerts' SMTP notifier.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence

log = logging.getLogger(__name__)

WEBHOOK_ENV = "CULTUREWATCH_QUALITY_WEBHOOK_URL"
MAX_LISTED = 12


def _observed_text(observed: object) -> str:
    text = json.dumps(observed, sort_keys=True, default=str)
    return text if len(text) <= 400 else text[:397] + "..."


def message(verdicts: Sequence[dict[str, object]]) -> str:
    """Plain text: per quarantined run, each failing expectation with its observed values."""
    lines = []
    for verdict in verdicts:
        if verdict.get("status") != "quarantined":
            continue
        failures = verdict.get("failures")
        if failures is None:
            failures = json.loads(str(verdict.get("failed_expectations") or "[]"))
        assert isinstance(failures, list)
        lines.append(
            f"data quality failed: run {verdict['run_id']} quarantined at stage {verdict['stage']} "
            f"({len(failures)} failing expectation(s))"
        )
        for failure in failures[:MAX_LISTED]:
            lines.append(
                f"  - {failure['checkpoint']}.{failure['check']} [{failure['expectation']}"
                f"{'' if not failure.get('column') else ' on ' + str(failure['column'])}]: "
                f"observed {_observed_text(failure.get('observed'))}"
            )
        if len(failures) > MAX_LISTED:
            lines.append(f"  ... and {len(failures) - MAX_LISTED} more (see Data Docs)")
        if verdict.get("data_docs_url"):
            lines.append(f"  Data Docs: {verdict['data_docs_url']}")
        lines.append(
            f"  raw data kept; after a fix: culturewatch validate --run-id {verdict['run_id']}  "
            f"(or release by hand: culturewatch validate --release --run-id {verdict['run_id']} --reason ...)"
        )
    return "\n".join(lines)


def _post(url: str, payload: dict[str, object]) -> None:
    import httpx

    response = httpx.post(url, json=payload, timeout=10.0)
    response.raise_for_status()


def deliver(verdicts: Sequence[dict[str, object]], config_path: str | None = None) -> list[str]:
    """Log the message and post it where configured; returns where it went. A failing webhook is
    logged, not raised (the quarantine itself is already recorded)."""
    text = message(verdicts)
    if not text:
        return []
    log.error("%s", text)
    sent = ["log"]
    payload = {
        "kind": "data_quality_failed",
        "text": text,
        "runs": [
            {key: verdict.get(key) for key in ("run_id", "stage", "data_docs_url")}
            for verdict in verdicts
            if verdict.get("status") == "quarantined"
        ],
    }
    targets: list[tuple[str, str, dict[str, object]]] = []
    if os.environ.get(WEBHOOK_ENV):
        targets.append(("webhook", os.environ[WEBHOOK_ENV], payload))
    if config_path:
        targets += _alert_channels(config_path, verdicts, payload)
    for name, url, body in targets:
        try:
            _post(url, body)
            sent.append(name)
        except Exception as exc:  # noqa: BLE001 - delivery is best effort, the verdict is on disk
            log.warning("data-quality notification to %s failed: %s", name, exc)
    return sent


def _alert_channels(
    config_path: str, verdicts: Sequence[dict[str, object]], payload: dict[str, object]
) -> list[tuple[str, str, dict[str, object]]]:
    """The Slack/webhook channels the alerts configuration routes these runs' models to."""
    from culturewatch.config.loader import load_config

    alerts = load_config(config_path).alerts
    models = {str(verdict.get("model")) for verdict in verdicts if verdict.get("model")}
    channels: set[str] = set()
    for model in models or {""}:
        channels.update(alerts.route_for(model).channels or alerts.configured_channels())
    targets: list[tuple[str, str, dict[str, object]]] = []
    if "slack" in channels and alerts.slack and os.environ.get(alerts.slack.url_env):
        targets.append(("slack", os.environ[alerts.slack.url_env], {"text": payload["text"]}))
    if "webhook" in channels and alerts.webhook and os.environ.get(alerts.webhook.url_env):
        targets.append(("alerts-webhook", os.environ[alerts.webhook.url_env], payload))
    return targets
