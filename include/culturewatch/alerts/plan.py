"""Which alerts to send now: regression events not yet delivered, recoveries of earlier
regressions, minus muted models (recorded as muted, never sent later) and acknowledged alerts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from culturewatch.alerts.config import AlertsConfig
from culturewatch.alerts.ledger import MUTED_CHANNEL, append_ledger, read_ledger, read_state
from culturewatch.alerts.messages import Alert, Kind, run_url
from culturewatch.alerts.regressions import RegressionEvent, read_regressions
from culturewatch.settings import DataPaths

DEFAULT_UI_URL = "http://localhost:8080"


def ui_url(config: AlertsConfig) -> str:
    if config.airflow_ui_url is not None:
        return str(config.airflow_ui_url)
    return os.environ.get("AIRFLOW__API__BASE_URL") or DEFAULT_UI_URL


@dataclass
class AlertPlan:
    to_send: list[Alert] = field(default_factory=list)
    muted: list[Alert] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    note: str | None = None

    def summary(self) -> dict[str, object]:
        return {
            "to_send": [alert.alert_id for alert in self.to_send],
            "muted": [alert.alert_id for alert in self.muted],
            "acknowledged": self.acknowledged,
            "note": self.note,
        }


def make_alert(config: AlertsConfig, kind: Kind, event: RegressionEvent) -> Alert:
    route = config.route_for(event.model)
    channels = tuple(route.channels or config.configured_channels())
    email_to: tuple[str, ...] = ()
    if config.email is not None:
        owners_mail = [owner for owner in route.owners if "@" in owner]
        email_to = tuple(dict.fromkeys([*config.email.to, *route.email_to, *owners_mail]))
    url = ui_url(config)
    return Alert(
        kind=kind,
        event=event,
        channels=channels,
        owners=tuple(route.owners),
        email_to=email_to,
        slack_channel=route.slack_channel or (config.slack.channel if config.slack else None),
        run_url=run_url(url, event.run_id),
        previous_run_url=run_url(url, event.previous_run_id),
    )


def _ledger_row(alert: Alert, channel: str, status: str, now: datetime, detail: str | None) -> dict:
    event = alert.event
    return {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "regression_id": event.regression_id,
        "channel": channel,
        "status": status,
        "model": event.model,
        "previous_version": event.previous_version,
        "version": event.version,
        "metric": event.metric,
        "country": event.country,
        "prompt_language": event.prompt_language,
        "recorded_at": now,
        "detail": detail,
    }


def ledger_row(alert: Alert, channel: str, detail: str | None = None) -> dict[str, object]:
    """The ledger row of one delivery (written right after the channel accepted it)."""
    return _ledger_row(alert, channel, "sent", datetime.now(UTC), detail)


def plan_alerts(config: AlertsConfig, paths: DataPaths, now: datetime | None = None) -> AlertPlan:
    """The alerts due now, in detection order. Muted ones are written to the ledger here."""
    now = now or datetime.now(UTC)
    events = read_regressions(paths)
    if events is None:
        return AlertPlan(note=f"no marts.alignment_regressions in {paths.warehouse} yet: nothing to alert on")
    if not config.configured_channels():
        return AlertPlan(note="no alert channel configured (alerts: slack/email/webhook): nothing sent")
    ledger = read_ledger(paths)
    state = read_state(paths)
    done = {(str(row["alert_id"]), str(row["channel"])) for row in ledger}
    # a series (model, metric, country, language) is open from a regression alert until a recovery
    open_series: set[tuple[object, ...]] = set()
    for row in sorted(ledger, key=lambda row: row["recorded_at"]):
        series = (row["model"], row["metric"], row["country"], row["prompt_language"])
        if row["kind"] == "regression" and row["status"] == "sent":
            open_series.add(series)
        elif row["kind"] == "recovered":
            open_series.discard(series)

    plan = AlertPlan()
    muted_rows = []
    for event in events:
        if event.direction == "regression":
            kind: Kind = "regression"
        elif config.recovered_notices and event.series in open_series:
            kind = "recovered"
        else:
            continue
        alert = make_alert(config, kind, event)
        if (alert.alert_id, MUTED_CHANNEL) in done:
            continue
        if kind == "recovered":
            open_series.discard(event.series)
        pending = [channel for channel in alert.channels if (alert.alert_id, channel) not in done]
        if not pending:
            continue
        if alert.alert_id in state.acked:
            plan.acknowledged.append(alert.alert_id)
            continue
        mute = state.muted(event.model, now)
        if mute is not None:
            plan.muted.append(alert)
            reason = f"muted until {mute.until.isoformat()} by {mute.actor or '?'}: {mute.reason or ''}"
            muted_rows.append(_ledger_row(alert, MUTED_CHANNEL, "muted", now, reason))
            continue
        if kind == "regression":  # told to someone: a later improvement is a recovery
            open_series.add(event.series)
        plan.to_send.append(alert)
    append_ledger(paths, muted_rows)
    return plan
