"""Alert on alignment regressions, once per cause and channel.

Scheduled on the marts Asset (after every transform). `plan` reads
`marts.alignment_regressions` and the alert ledger (`<data dir>/alerts/`) and groups the rows
into events: one event per cause, a probe run of a new version compared with the previous version
(model, previous version, version, run), listing every metric it regressed on and every affected
country and prompt language. Each regression event not yet delivered is due, and — with
`recovered_notices` — the first improvement event of a series (model, metric) after a regression
alert, minus muted models (recorded as muted, never sent later) and acknowledged alerts. Each alert
says which direction is better, the absolute and relative change with its interval, what the
metric means, links the Alignment view filtered to the two versions and both probe runs, and gives
the ack and mute commands. The alert id is derived from the cause only, so a re-run, a retry or a
rebuild that adds affected rows never sends it again. `send` is mapped per alert:
Slack-compatible webhook, e-mail (SMTP) and JSON webhook as routed for the model, each delivery
written to the ledger as soon as it is accepted, so a retry or re-run sends only what is missing.

Params: `config` — the run configuration whose `alerts:` section applies (default
$CULTUREWATCH_CONFIG, else the embedded config). Ops: `culturewatch alerts list|ack|mute|unmute`.
"""

from __future__ import annotations

from airflow.sdk import get_current_context


def plan(params: dict | None = None) -> list[dict]:
    from pathlib import Path

    from culturewatch.alerts.outbox import plan_alerts
    from culturewatch.orchestration.lanes import load_fleet
    from culturewatch.settings import data_paths

    config = load_fleet(Path(params["config"]))
    planned = plan_alerts(config.alerts, data_paths())
    print(planned.summary())
    return [alert.to_dict() for alert in planned.to_send]


def send(alert: dict, params: dict | None = None) -> list[str]:
    from pathlib import Path

    from culturewatch.alerts.messages import Alert
    from culturewatch.orchestration.alert_notifiers import deliver
    from culturewatch.orchestration.lanes import load_fleet
    from culturewatch.settings import data_paths

    chosen = Alert.from_dict(alert)
    get_current_context()["alert_label"] = chosen.label
    sent = deliver(chosen, load_fleet(Path(params["config"])).alerts, data_paths())
    print(f"{chosen.alert_id}: sent on {sent or 'nothing new (already in the ledger)'}")
    return sent
