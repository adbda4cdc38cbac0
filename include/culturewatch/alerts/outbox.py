"""Which alerts to send now: one per regression event (one cause: a probe run of a new version
compared with the previous one, every regressed metric and every affected country and language in
it) not yet delivered, and one per recovery of a series (model, metric) that had a regression
alert, minus muted models (recorded as muted, never sent later) and acknowledged alerts.

Upgrade: alerts delivered, muted or acknowledged under the per-metric ids of earlier versions
(alerts.events.metric_event_id) count for the cause that now holds those metrics, so upgrading
sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from culturewatch.alerts.channels import AlertsConfig, is_address
from culturewatch.alerts.events import RegressionEvent, group_events
from culturewatch.alerts.ledger import MUTED_CHANNEL, OpsState, append_ledger, read_ledger, read_state
from culturewatch.alerts.messages import Alert, Kind
from culturewatch.links import absolute, default_ui_url, run_path, view_path
from culturewatch.marts import read_regressions
from culturewatch.settings import DataPaths

DETAIL_SEPARATOR = " | "


def ui_url(config: AlertsConfig) -> str:
    if config.airflow_ui_url is not None:
        return str(config.airflow_ui_url)
    return default_ui_url()


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


def make_alert(
    config: AlertsConfig, kind: Kind, event: RegressionEvent, dag_run_ids: dict[str, str | None] | None = None
) -> Alert:
    """The alert of `event`: its route, and links to the view and to both probe runs (their
    Airflow DAG runs from `dag_run_ids`, else the view's run pages)."""
    runs = dag_run_ids or {}
    route = config.route_for(event.model)
    channels = tuple(route.channels or config.configured_channels())
    email_to: tuple[str, ...] = ()
    if config.email is not None:
        owners_mail = [owner for owner in route.owners if is_address(owner)]
        email_to = tuple(dict.fromkeys([*config.email.to, *route.email_to, *owners_mail]))
    url = ui_url(config)

    def link(run_id: str | None) -> str | None:
        return absolute(url, run_path(run_id, runs.get(run_id))) if run_id else None

    view = view_path(
        model=event.model, version=event.version, compare=event.previous_version, metric=event.metrics[0]
    )
    return Alert(
        kind=kind,
        event=event,
        channels=channels,
        owners=tuple(route.owners),
        email_to=email_to,
        slack_channel=route.slack_channel or (config.slack.channel if config.slack else None),
        run_url=link(event.run_id),
        previous_run_url=link(event.previous_run_id),
        view_url=absolute(url, view + "#compare"),
    )


def ledger_detail(alert: Alert, extra: str | None = None) -> str:
    """`affected: all countries, JP/ja | <extra>`: what the alert covered when it was recorded."""
    parts = [f"affected: {alert.event.affected()}", *([extra] if extra else [])]
    return DETAIL_SEPARATOR.join(parts)


def _ledger_row(alert: Alert, channel: str, status: str, now: datetime, detail: str | None) -> dict:
    event = alert.event
    return {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "regression_id": event.event_id,  # the event's id (its rows' ids are in the mart)
        "channel": channel,
        "status": status,
        "model": event.model,
        "previous_version": event.previous_version,
        "version": event.version,
        "metric": ", ".join(event.metrics),
        "country": event.headline.country,  # the headline row (null: all countries)
        "prompt_language": event.headline.prompt_language,
        "recorded_at": now,
        "detail": ledger_detail(alert, detail),
    }


def ledger_row(alert: Alert, channel: str, detail: str | None = None) -> dict[str, object]:
    """The ledger row of one delivery (written right after the channel accepted it)."""
    return _ledger_row(alert, channel, "sent", datetime.now(UTC), detail)


def _kind(event: RegressionEvent, config: AlertsConfig, open_series: set[tuple[str, str]]) -> Kind | None:
    if event.direction == "regression":
        return "regression"
    if config.recovered_notices and any(series in open_series for series in event.series):
        return "recovered"
    return None


def plan_alerts(config: AlertsConfig, paths: DataPaths, now: datetime | None = None) -> AlertPlan:
    """The alerts due now, in detection order. Muted ones are written to the ledger here.

    Recoveries replay the events in detection order: a series (model, metric) opens at a
    regression event whose alert reached someone (sent on a channel earlier, or due now) and
    closes at the next improvement event, which is its one recovered notice."""
    now = now or datetime.now(UTC)
    regressions = read_regressions(paths)
    if regressions is None:
        return AlertPlan(note=f"no marts.alignment_regressions in {paths.warehouse} yet: nothing to alert on")
    if not config.configured_channels():
        return AlertPlan(note="no alert channel configured (alerts: slack/email/webhook): nothing sent")
    ledger = read_ledger(paths)
    state = read_state(paths)
    done = {(str(row["alert_id"]), str(row["channel"])) for row in ledger}
    told = {str(row["alert_id"]) for row in ledger if row["status"] == "sent"}

    plan = AlertPlan()
    muted_rows = []
    open_series: set[tuple[str, str]] = set()
    for event in group_events(regressions.rows):
        kind = _kind(event, config, open_series)
        if kind is None:
            continue
        alert = make_alert(config, kind, event, regressions.dag_run_ids)
        if kind == "recovered":  # closes the series, whether sent, muted or acknowledged
            open_series.difference_update(event.series)
        due = _due(alert, done, state, now)
        mute = state.muted(event.model, now)
        if due == "mute" and mute is not None:
            plan.muted.append(alert)
            reason = f"muted until {mute.until.isoformat()} by {mute.actor or '?'}: {mute.reason or ''}"
            muted_rows.append(_ledger_row(alert, MUTED_CHANNEL, "muted", now, reason))
        elif due == "acked":
            plan.acknowledged.append(alert.alert_id)
        elif due == "send":
            plan.to_send.append(alert)
        if kind == "regression" and (due == "send" or _told(alert, told)):
            open_series.update(event.series)  # told to someone: a later improvement is a recovery
    append_ledger(paths, muted_rows)
    return plan


def _ids(alert: Alert) -> list[list[str]]:
    """The alert's own id, and (as one group) the per-metric ids it had before grouping by cause."""
    legacy = [f"{alert.kind}:{legacy_id}" for legacy_id in alert.event.metric_event_ids().values()]
    return [[alert.alert_id], legacy]


def _told(alert: Alert, told: set[str]) -> bool:
    return any(all(alert_id in told for alert_id in group) for group in _ids(alert))


def _due(alert: Alert, done: set[tuple[str, str]], state: OpsState, now: datetime) -> str | None:
    """`send`, `mute` (record it as muted), `acked`, or None (nothing left to do)."""
    groups = _ids(alert)

    def all_in(found: set[tuple[str, str]], channel: str) -> bool:
        return any(all((alert_id, channel) in found for alert_id in group) for group in groups)

    if all_in(done, MUTED_CHANNEL):
        return None
    if all(all_in(done, channel) for channel in alert.channels):
        return None
    if any(all(alert_id in state.acked for alert_id in group) for group in groups):
        return "acked"
    if state.muted(alert.event.model, now) is not None:
        return "mute"
    return "send"
