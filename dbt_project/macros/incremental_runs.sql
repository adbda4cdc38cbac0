{#-
    Run-keyed incremental builds (issue 5 "Speed and growth"). Raw data is append-only and
    one run's files live in their own `run_id=<run>/` folder, so the number of Parquet files
    of a run identifies what was read for it: a run is (re)processed when its file count
    differs from the `run_source_files` the incremental model stored for it, when it is new,
    when it disappeared (its rows are deleted), or when a method column (normalisation,
    ground-truth source) no longer matches the project vars. The models then
    `delete+insert` by run_id, so history is never re-read.

    A seed change (ground truth, formulas) is not detected: run `dbt build --full-refresh`.
-#}

{#- (run_id, run_source_files) of every run folder under raw/responses/, from the file
    listing only (nothing is read). Same folder as the `raw.responses` source. -#}
{% macro raw_response_files_per_run() -%}
    select
        regexp_extract(file, 'run_id=([^/]+)/[^/]*$', 1) as run_id,
        count(*) as run_source_files
    from glob('{{ env_var("CULTUREWATCH_DATA_DIR", "../data") }}/raw/responses/*/*.parquet')
    group by 1
{%- endmacro %}


{#-
    The run_ids an incremental model must (re)process in this build, or none for "every
    run" (a full build, or an existing table without `run_source_files`).
      fingerprints   SQL returning (run_id, run_source_files) of the current upstream
      current_checks SQL boolean expressions over the model's own columns that are true
                     when a stored row is still current (e.g. its normalisation method)
-#}
{% macro runs_to_process(fingerprints, current_checks=[]) -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if 'run_source_files' not in existing -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with

        upstream as (

            {{ fingerprints }}

        ),

        processed as (

            select
                run_id,
                max(run_source_files) as run_source_files,
                bool_and({{ (current_checks or ['true']) | join(' and ') }}) as is_current
            from {{ this }}
            group by run_id

        )

        select coalesce(upstream.run_id, processed.run_id) as run_id
        from upstream
        full outer join processed on upstream.run_id = processed.run_id
        where processed.run_id is null
           or upstream.run_id is null
           or upstream.run_source_files != processed.run_source_files
           or not processed.is_current
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{#- A where-clause condition keeping the rows of `runs` (none = every row). -#}
{% macro run_id_filter(runs, column='run_id') -%}
    {%- if runs is none -%}
        true
    {%- elif runs | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in (
            {%- for run in runs %}'{{ run | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        )
    {%- endif -%}
{%- endmacro %}
