{#-
    Data-quality verdicts on runs (written by the Great Expectations gates and by ops), renamed
    and cast only; an incremental table that reads each raw file once (macros/raw_parquet.sql).
    Empty, not an error, while no gate has written a verdict (no raw/run_status/ files).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_vanished_raw_files('run_status') }}",
    )
}}
{%- set files = raw_files_to_load('run_status') -%}

with

source as (

    {{ read_raw_parquet('raw', 'run_status', 'run_status', files) }}

),

renamed as (

    select
        ---------- ids
        cast(run_id as varchar) as run_id,

        ---------- the verdict
        cast(status as varchar) as status,
        cast(stage as varchar) as stage,
        cast(reason as varchar) as reason,
        cast(failed_expectations as varchar) as failed_expectations,
        cast(data_docs_url as varchar) as data_docs_url,

        ---------- timestamps
        cast(recorded_at as timestamptz) as recorded_at,

        ---------- lineage
        cast(source_file as varchar) as source_file,
        {{ staging_loaded_at() }} as loaded_at

    from source

)

select * from renamed
