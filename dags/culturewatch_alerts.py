"""Alert on alignment regressions, once per cause and channel: `plan` lists the alerts due (marts
and the alert ledger), `send` delivers each on its channels (mapped per alert). The DAG's
documentation and task bodies: culturewatch.orchestration.alerts_tasks."""

from __future__ import annotations

from airflow.sdk import dag, task

from culturewatch.orchestration import alerts_tasks as alerts
from culturewatch.orchestration.assets import MARTS
from culturewatch.orchestration.dag_args import config_param, dag_args


@dag(**dag_args(alerts, "alerts", schedule=[MARTS], max_active_runs=1, params={"config": config_param()}))
def culturewatch_alerts():
    task(map_index_template="{{ alert_label }}")(alerts.send).expand(alert=task(alerts.plan)())


culturewatch_alerts()
