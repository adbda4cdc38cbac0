{#-
    Judge stances, renamed and cast only; an incremental table that reads each raw file once
    (macros/raw_parquet.sql). A data dir without judgement files (no wvs_polarity run yet)
    gives an empty table, typed from the source's declared columns.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_vanished_raw_files('judgements') }}",
    )
}}
{%- set files = raw_files_to_load('judgements') -%}

with

source as (

    {{ read_raw_parquet('raw', 'judgements', 'judgements', files) }}

),

renamed as (

    select
        ---------- key of the judged response
        cast(run_id as varchar) as run_id,
        cast(instrument as varchar) as instrument,
        cast(item_id as varchar) as item_id,
        cast(country as varchar) as country,
        cast(prompt_language as varchar) as prompt_language,
        cast(style as varchar) as style,
        cast(strategy as varchar) as strategy,
        cast(variant as varchar) as variant,
        cast(trial as integer) as trial,

        ---------- the label
        cast(respondent as integer) as respondent,
        cast(stance as varchar) as stance,

        ---------- judge
        cast(judge_model as varchar) as judge_model,
        cast(judge_version as varchar) as judge_version,
        cast(judge_prompt_version as varchar) as judge_prompt_version,

        ---------- timestamps
        cast(judged_at as timestamptz) as judged_at,

        ---------- lineage
        cast(source_file as varchar) as source_file,
        {{ staging_loaded_at() }} as loaded_at

    from source

)

select * from renamed
