"""Alert on alignment regressions, once per regression event and channel.

Scheduled on the marts Asset (after every transform). `plan` reads
`marts.alignment_regressions` and the alert ledger (`<data dir>/alerts/`) and groups the rows
into events: one event per version-pair comparison of one metric (model, previous version,
version, metric), listing every affected country and prompt language. Each regression event not
yet delivered is due, and — with `recovered_notices` — the first improvement event of a series
(model, metric) after a regression alert, minus muted models (recorded as muted, never sent
later) and acknowledged alerts. The alert id is derived from the event key only, so a re-run,
a retry or a rebuild that adds affected rows never sends it again. `send` is mapped per alert:
Slack-compatible webhook, e-mail (SMTP) and JSON webhook as routed for the model, each delivery
written to the ledger as soon as it is accepted, so a retry or re-run sends only what is missing.

Params: `config` — the run configuration whose `alerts:` section applies (default
$CULTUREWATCH_CONFIG, else the embedded config). Ops: `culturewatch alerts list|ack|mute|unmute`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task
from pendulum import datetime

from culturewatch.assets import MARTS
from culturewatch.scheduling import fleet_config_path


@dag(
    schedule=[MARTS],
    start_date=datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "culturewatch", "retries": 2},
    params={"config": Param(str(fleet_config_path()), type="string", description="run configuration YAML")},
    tags=["culturewatch", "alerts"],
    doc_md=__doc__,
)
def culturewatch_alerts():
    @task
    def plan(params: dict | None = None) -> list[dict]:
        from pathlib import Path

        from culturewatch.alerts.plan import plan_alerts
        from culturewatch.scheduling import load_fleet
        from culturewatch.settings import data_paths

        config = load_fleet(Path(params["config"]))
        planned = plan_alerts(config.alerts, data_paths())
        print(planned.summary())
        return [alert.to_dict() for alert in planned.to_send]

    @task(map_index_template="{{ alert_label }}")
    def send(alert: dict, params: dict | None = None) -> list[str]:
        from pathlib import Path

        from culturewatch.alerts.messages import Alert
        from culturewatch.alerts.notifiers import deliver
        from culturewatch.scheduling import load_fleet
        from culturewatch.settings import data_paths

        chosen = Alert.from_dict(alert)
        get_current_context()["alert_label"] = chosen.label
        sent = deliver(chosen, load_fleet(Path(params["config"])).alerts, data_paths())
        print(f"{chosen.alert_id}: sent on {sent or 'nothing new (already in the ledger)'}")
        return sent

    send.expand(alert=plan())


culturewatch_alerts()
