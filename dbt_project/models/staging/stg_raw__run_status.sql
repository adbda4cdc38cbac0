{#-
    Data-quality verdicts on runs (written by the Great Expectations gates and by ops), cast to
    the yml's contract only; an incremental table that reads each raw file once
    (macros/raw_parquet.sql).
    Empty, not an error, while no gate has written a verdict (no raw/run_status/ files).
-#}
{{ raw_staging_model('raw', 'run_status', 'run_status') }}
