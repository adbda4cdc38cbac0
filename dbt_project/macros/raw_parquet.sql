{#-
    Loading raw Parquet into the staging tables file by file (issue 5 "Speed and growth").

    Raw data is append-only: the probe writes each batch once as its own file under
    `raw/<folder>/run_id=<run>/`, never rewrites one, and run_id is a column in every file. So
    the staging models are incremental tables that remember which files they hold (column
    `source_file`) and, in each build, read only the files that are new since the last build:

      raw_parquet_glob(folder)    the glob of the folder's part files, the same pattern as the
                                  source's `external_location` in models/staging/__sources.yml
      raw_parquet_exists(folder)  at run time, whether that glob matches at least one file
                                  (DuckDB `glob()`); at parse time (nothing is executed) true
      raw_files_to_load(folder)   at run time, the files this build must read: none = every file
                                  (a full build: read through the glob), else a list (possibly
                                  empty) of the files not yet in the table; at parse time none
      read_raw_parquet(source_name, table_name, folder, files)
                                  select * from those files, unioned by name with a typed empty
                                  row of every column the source declares (its `data_type`s in
                                  __sources.yml), so a batch of files written before a column
                                  existed still has it (NULL), and no file at all gives an empty
                                  relation instead of a read_parquet error
      delete_rows_of_vanished_raw_files(folder)
                                  pre-hook: drops the rows of files that are no longer on disk
                                  (raw is append-only, so this only happens when someone removes
                                  a run's files by hand; the staging table then mirrors raw/)

    Files are matched by their path below the folder (`run_id=<run>/<file>.parquet`), so moving
    the data dir does not make every file look new. A file rewritten in place (same name, new
    content) is not noticed: raw files are never rewritten; after doing so anyway, run
    `dbt build --full-refresh`.
-#}
{% macro raw_parquet_glob(folder) -%}
    {{ env_var('CULTUREWATCH_DATA_DIR', '../data') }}/raw/{{ folder }}/*/*.parquet
{%- endmacro %}

{#- a raw file's path below its folder, e.g. run_id=run-1/part-0.parquet -#}
{% macro raw_file_key(path) -%}
    regexp_extract({{ path }}, '[^/]+/[^/]+$')
{%- endmacro %}

{% macro raw_parquet_exists(folder) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set pattern = raw_parquet_glob(folder) | replace("'", "''") -%}
    {%- set result = run_query("select count(*) as n_files from glob('" ~ pattern ~ "')") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro raw_files_to_load(folder) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set pattern = raw_parquet_glob(folder) | replace("'", "''") -%}
    {%- if not is_incremental() -%}
        {{ return(none if raw_parquet_exists(folder) else []) }}
    {%- endif -%}
    {%- set query -%}
        with

        listed as (

            select file, {{ raw_file_key('file') }} as file_key
            from glob('{{ pattern }}')

        ),

        loaded as (

            select distinct {{ raw_file_key('source_file') }} as file_key
            from (select distinct source_file from {{ this }} where source_file is not null)

        )

        select listed.file
        from listed
        anti join loaded on listed.file_key = loaded.file_key
        order by listed.file
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{% macro raw_source_stub(source_name, table_name) -%}
    {%- set node = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first -%}
    {%- set columns = node.columns.values() | rejectattr('name', 'equalto', 'source_file') | list -%}
    select
    {%- for column in columns %}
        {%- if not column.data_type -%}
            {{ exceptions.raise_compiler_error(
                "source " ~ source_name ~ "." ~ table_name ~ ": column " ~ column.name ~ " declares no data_type"
            ) }}
        {%- endif %}
        cast(null as {{ column.data_type }}) as {{ column.name }},
    {%- endfor %}
        cast(null as varchar) as source_file
    where false
{%- endmacro %}

{% macro read_raw_parquet(source_name, table_name, folder, files) -%}
    {%- if not execute -%}
        select * from {{ source(source_name, table_name) }}
    {%- elif files is not none and files | length == 0 -%}
        {{ raw_source_stub(source_name, table_name) }}
    {%- else -%}
        {%- if files is none -%}
            {%- set paths = "'" ~ (raw_parquet_glob(folder) | replace("'", "''")) ~ "'" -%}
        {%- else -%}
            {%- set quoted = [] -%}
            {%- for file in files -%}
                {%- do quoted.append("'" ~ (file | replace("'", "''")) ~ "'") -%}
            {%- endfor -%}
            {%- set paths = "[" ~ (quoted | join(", ")) ~ "]" -%}
        {%- endif -%}
        select *
        from read_parquet(
            {{ paths }},
            hive_partitioning = false, union_by_name = true, filename = 'source_file'
        )
        union all by name
        {{ raw_source_stub(source_name, table_name) }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_rows_of_vanished_raw_files(folder) -%}
    {%- if execute and is_incremental() -%}
        {%- set pattern = raw_parquet_glob(folder) | replace("'", "''") -%}
        {%- set query -%}
            select loaded.source_file
            from (select distinct source_file from {{ this }} where source_file is not null) as loaded
            anti join glob('{{ pattern }}') as listed
                on {{ raw_file_key('loaded.source_file') }} = {{ raw_file_key('listed.file') }}
        {%- endset -%}
        {%- set vanished = run_query(query).columns[0].values() | list -%}
        {%- if vanished | length > 0 -%}
            delete from {{ this }} where source_file in (
                {%- for file in vanished %}'{{ file | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The batch id written on every staging row: when this dbt invocation started (UTC). -#}
{% macro staging_loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as timestamptz)
{%- endmacro %}
