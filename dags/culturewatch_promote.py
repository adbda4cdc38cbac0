"""Decide whether a CultureSPA candidate becomes `champion`, from the marts analysts read
(scheduled on the marts Asset). The DAG's documentation and task body:
culturewatch.orchestration.promote_tasks."""

from __future__ import annotations

from airflow.sdk import dag, task

from culturewatch.orchestration import promote_tasks as promote
from culturewatch.orchestration.assets import MARTS
from culturewatch.orchestration.dag_args import dag_args


@dag(**dag_args(promote, "retrain", "culturespa", schedule=[MARTS], max_active_runs=1))
def culturewatch_promote():
    task(promote.decide)()


culturewatch_promote()
