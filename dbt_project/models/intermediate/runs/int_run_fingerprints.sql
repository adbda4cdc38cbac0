{{ config(materialized='table') }}
{#-
    One row per run that has raw files in the store: how many files of each kind the raw manifest
    lists for it (admitted or set aside; files compaction replaced are not counted), and whether it
    has VSM 2013 answers. The run-keyed incremental models compare these counts with the ones they
    stored (`run_source_files`, macro runs_to_process): raw files are append-only, so a count
    changes exactly when a file of the run lands, is set aside, or is compacted. A small table,
    rebuilt every build from the manifest (no raw data read), so the incremental models and their
    post-hooks read it instead of the staging tables.
-#}
{#- raw table -> the column counting its files -#}
{%- set file_counts = {
    'responses': 'n_response_files',
    'runs': 'n_event_files',
    'run_status': 'n_status_files',
    'judgements': 'n_judgement_files',
} -%}
with

files as (

    select * from {{ source('raw_manifest', 'files') }}
    where run_id is not null and status <> 'replaced'

),

counted as (

    select
        run_id,
        {%- for table_name, column in file_counts.items() %}
        count(*) filter (where table_name = '{{ table_name }}') as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from files
    group by run_id

),

vsm as (select distinct run_id from {{ ref('stg_raw__responses') }} where instrument = 'vsm2013'),

final as (

    select
        counted.run_id,
        counted.n_response_files,
        counted.n_event_files,
        counted.n_status_files,
        counted.n_judgement_files,
        vsm.run_id is not null as has_vsm2013
    from counted
    left join vsm on counted.run_id = vsm.run_id
    where counted.n_response_files + counted.n_event_files > 0

)

select * from final
