"""Build, audit and publish the warehouse marts whenever new raw responses land: one `dbt build`
(Cosmos WATCHER) inside a write-audit-publish build, then the marts quality gate and the marts
Asset beside the sensors that report each mart.
The DAG's documentation and task bodies: culturewatch.orchestration.transform_tasks."""

from __future__ import annotations

from airflow.sdk import dag, task

from culturewatch.orchestration import transform_tasks as transform
from culturewatch.orchestration.assets import MARTS, RAW_RESPONSES
from culturewatch.orchestration.cosmos_setup import dbt_build_group, producer_task
from culturewatch.orchestration.dag_args import dag_args
from culturewatch.orchestration.quality_notifier import DataQualityFailedNotifier


@dag(**dag_args(transform, "transform", "dbt", schedule=[RAW_RESPONSES], max_active_runs=1))
def culturewatch_transform():
    dbt = dbt_build_group()
    summarize = task(outlets=[MARTS])(transform.summarize)()
    gate = task(retries=0, on_failure_callback=DataQualityFailedNotifier())(transform.marts_quality_gate)()
    producer_task(dbt) >> [summarize, gate]  # published by the producer; its sensors report meanwhile


culturewatch_transform()
