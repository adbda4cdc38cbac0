{#-
    Model version sightings (discovery), renamed and cast only; an incremental table that reads
    each raw file once (macros/raw_parquet.sql). Empty, not an error, while nothing has been
    watched (no raw/versions/ files).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_vanished_raw_files('versions') }}",
    )
}}
{%- set files = raw_files_to_load('versions') -%}

with

source as (

    {{ read_raw_parquet('raw', 'versions', 'versions', files) }}

),

renamed as (

    select
        ---------- ids
        cast(watch_id as varchar) as watch_id,
        cast(source as varchar) as source,
        cast(location as varchar) as location,

        ---------- the version
        cast(model as varchar) as model,
        cast(model_version as varchar) as model_version,
        cast(probe_model as varchar) as probe_model,
        cast(aliases as varchar[]) as aliases,
        cast(details as varchar) as details,

        ---------- timestamps
        cast(sighted_at as timestamptz) as sighted_at,

        ---------- lineage
        cast(source_file as varchar) as source_file,
        {{ staging_loaded_at() }} as loaded_at

    from source

)

select * from renamed
