{#-
    Loading raw Parquet into the staging tables file by file, from the raw manifest.

    Raw data is append-only: the probe writes each batch once as its own file under
    `raw/<folder>/run_id=<run>/` of the shared store (compaction later replaces a finished run's
    batches by one file), and run_id is a column in every file. Before dbt runs, culturewatch
    lists the store and checks every file (culturewatch.storage.manifest): the build's table
    `raw_manifest.files` says which files to read (`status = 'ok'`) and which were set aside and
    why. So the staging models never glob the store: they are incremental tables that remember
    which files they hold (column `source_file`) and, in each build, read only the admitted
    files that are new since the build they started from:

      raw_files_to_load(folder)   at run time, the files this build must read (a list, possibly
                                  empty): every admitted file on a full build, else the admitted
                                  files not yet in the table; at parse time none
      read_raw_parquet(source_name, table_name, folder, files)
                                  select * from those files, unioned by name with a typed empty
                                  row of every column the source declares (its `data_type`s in
                                  __sources.yml), so a batch of files written before a column
                                  existed still has it (NULL), and no file at all gives an empty
                                  relation instead of a read_parquet error
      delete_rows_of_vanished_raw_files(folder)
                                  pre-hook: drops the rows of files the manifest no longer admits
                                  (compaction replaced them, or someone removed or damaged them);
                                  the staging table then mirrors the admitted files

    Files are matched by their last two path segments (`run_id=<run>/<file>.parquet`), so moving
    the store does not make every file look new. A build that fails is thrown away with its
    candidate database (culturewatch.transform.warehouse_build), so no row it loaded survives
    into the next build.
-#}

{#- a raw file's path below its folder, e.g. run_id=run-1/part-0.parquet -#}
{% macro raw_file_key(path) -%}
    regexp_extract({{ path }}, '[^/]+/[^/]+$')
{%- endmacro %}

{#- the admitted files of one raw folder, as a relation (uri, file_key) -#}
{% macro admitted_raw_files(folder) -%}
    select uri, file_key
    from {{ source('raw_manifest', 'files') }}
    where table_name = '{{ folder }}' and status = 'ok'
{%- endmacro %}

{% macro raw_files_to_load(folder) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not is_incremental() -%}
        {%- set query -%}
            select uri from ({{ admitted_raw_files(folder) }}) order by uri
        {%- endset -%}
        {{ return(run_query(query).columns[0].values() | list) }}
    {%- endif -%}
    {%- set query -%}
        with

        admitted as (

            select uri, {{ raw_file_key('file_key') }} as file_key
            from ({{ admitted_raw_files(folder) }})

        ),

        loaded as (

            select distinct {{ raw_file_key('source_file') }} as file_key
            from (select distinct source_file from {{ this }} where source_file is not null)

        )

        select admitted.uri
        from admitted
        anti join loaded on admitted.file_key = loaded.file_key
        order by admitted.uri
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
    {%- elif files | length == 0 -%}
        {{ raw_source_stub(source_name, table_name) }}
    {%- else -%}
        {%- set quoted = [] -%}
        {%- for file in files -%}
            {%- do quoted.append("'" ~ (file | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        select *
        from read_parquet(
            [{{ quoted | join(", ") }}],
            hive_partitioning = false, union_by_name = true, filename = 'source_file'
        )
        union all by name
        {{ raw_source_stub(source_name, table_name) }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_rows_of_vanished_raw_files(folder) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where source_file is null
           or {{ raw_file_key('source_file') }} not in (
               select {{ raw_file_key('file_key') }} from ({{ admitted_raw_files(folder) }})
           )
    {%- endif -%}
{%- endmacro %}


{#-
    The stg_raw__* models, written once:
      raw_staging_config(folder)  configures the model as an incremental table that appends the
                                  new admitted files of its raw folder and first drops the rows
                                  of vanished ones
      raw_staging_source(source_name, table_name, folder)
                                  the relation of the files this build must read (and the
                                  model's dependency on the raw manifest)
      raw_staging_model(source_name, table_name, folder)
                                  a whole staging model whose yml has an enforced contract: the
                                  two above, every contract column cast to its data_type
                                  (contract_casts) and `loaded_at` (staging_loaded_at)
-#}
{% macro raw_staging_config(folder) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_vanished_raw_files('" ~ folder ~ "') }}",
    ) }}
{%- endmacro %}

{% macro raw_staging_source(source_name, table_name, folder) -%}
    {%- do source('raw_manifest', 'files') -%}
    {{ read_raw_parquet(source_name, table_name, folder, raw_files_to_load(folder)) }}
{%- endmacro %}


{% macro raw_staging_model(source_name, table_name, folder) -%}
{{ raw_staging_config(folder) }}

with

source as (

    {{ raw_staging_source(source_name, table_name, folder) }}

),

final as (

    select
        {{ contract_casts() }}
    from (select *, {{ staging_loaded_at() }} as loaded_at from source)

)

select * from final
{%- endmacro %}


{#- The batch id written on every staging row: when this dbt invocation started (UTC). -#}
{% macro staging_loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as timestamptz)
{%- endmacro %}
