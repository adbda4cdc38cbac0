"""Data-quality gates (issue 6): Great Expectations 1.x checkpoints on a run's raw answers (after
the probe) and on its marts rows (after dbt), verdicts in `raw/run_status/`, Data Docs under the
data dir, and the "data quality failed" notification.

The suites and checkpoints that run are the versioned JSON files in `expectations/` (written from
`suites.py`, so their column names come from the one storage schema). Modules:

- `thresholds`  per-model thresholds (`quality:` of a model in the run configuration)
- `run_plan`    what a run planned (its grid, from the probe specs), kept beside the verdicts
- `frames`      the dataframes each checkpoint validates (raw rows, grid cells, parse rates, marts)
- `suites`      the expectation suites and checkpoints, declared in code, exported to JSON
- `checkpoints` running them (ephemeral GX context, Data Docs site per run and stage)
- `verdicts`    `validated` / `quarantined` / `released` rows in `raw/run_status/`
- `gates`       what the DAG tasks and `culturewatch validate` call
- `notify`      the notification text and its delivery (log, webhooks)

Nothing here imports Airflow (the gates' Airflow notifier is in the Airflow adapter,
`culturewatch.orchestration.quality_notifier`), and importing this package is cheap (the config
schema imports `quality.thresholds`)."""
