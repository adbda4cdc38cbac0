"""Watch for new model versions and probe each one once: `discover` lists the versions to probe,
`probe_version` triggers one probe run per version (mapped, deferrable, conf passed literally),
`check_endpoints` fails the run when an endpoint could not be read. The DAG's documentation and
task bodies: culturewatch.orchestration.watch_tasks."""

from __future__ import annotations

from airflow.sdk import dag, task

from culturewatch.orchestration import watch_tasks as watch
from culturewatch.orchestration.airflow_runs import PROBE_DAG
from culturewatch.orchestration.dag_args import dag_args


@dag(**dag_args(watch, "watch", schedule=watch.schedule(), max_active_runs=1, params=watch.params()))
def culturewatch_watch():
    found = task(watch.discover)()
    watch.LiteralTriggerDagRunOperator.partial(
        task_id="probe_version",
        trigger_dag_id=PROBE_DAG,
        deferrable=True,
        poke_interval=60,
        map_index_template="{{ task.conf['model'] }}@{{ task.conf['version'] }}",
    ).expand_kwargs(found)
    found >> task(retries=0)(watch.check_endpoints)()


culturewatch_watch()
