{#-
    Probe-run lifecycle events, cast to the yml's contract only; an incremental table that reads
    each raw file once (macros/raw_parquet.sql). `instrument`, `cost_usd` and `airflow_dag_run_id`
    were added to RUN_EVENT_SCHEMA later: a batch of files written before them reads them as
    NULL (the typed empty row of read_raw_parquet supplies every declared column).
-#}
{{ raw_staging_model('raw', 'run_events', 'runs') }}
