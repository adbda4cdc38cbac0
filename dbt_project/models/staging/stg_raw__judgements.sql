{#-
    Judge stances, cast to the yml's contract only; an incremental table that reads each raw
    file once (macros/raw_parquet.sql). A data dir without judgement files (no wvs_polarity run
    yet) gives an empty table, typed from the source's declared columns.
-#}
{{ raw_staging_model('raw', 'judgements', 'judgements') }}
