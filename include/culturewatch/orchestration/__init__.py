"""The Airflow adapter: the one package of the library that imports Airflow or Cosmos.

DAG files (dags/) are wiring only: a schedule, tasks, and each task's body a call into a module
here, which adapts Airflow's context (params, the task instance, XCom, the task log) to the
library. Nothing outside this package imports it, except dags/ and the commands that drive
Airflow (`culturewatch demo`, `culturewatch ui`, `culturewatch airflow-init`); nothing outside it
imports `airflow` or `cosmos` (ruff TID251; tests/unit/test_import_rules.py).

- `assets`            the Assets connecting the DAGs
- `dag_args`          arguments every DAG shares, the run-configuration param
- `lanes`             where probe tasks run: one lane (queue + pool) per endpoint, their timeout
- `probe_tasks`, `transform_tasks`, `watch_tasks`, `alerts_tasks`, `retrain_tasks`,
  `promote_tasks`     each DAG's documentation and task bodies
- `cosmos_setup`      the Cosmos rendering of the dbt build inside a write-audit-publish build
- `alert_notifiers`   the notifiers that send regression alerts
- `quality_notifier`  the notifier of the data-quality gates
- `airflow_runs`      the `airflow` command: `dags test`, `db migrate`, pools (the embedded stack)
- `airflow_api`       Airflow's REST API: is the API server up, a client signed in as a user

Importing this package (its `__init__`) imports nothing; each module imports Airflow itself.
"""
