{#-
    Model version sightings (discovery), cast to the yml's contract only; an incremental table
    that reads each raw file once (macros/raw_parquet.sql). Empty, not an error, while nothing
    has been watched (no raw/versions/ files).
-#}
{{ raw_staging_model('raw', 'versions', 'versions') }}
