{#-
    Run-keyed incremental builds (issue 5 "Speed and growth"). Raw data is append-only and
    one run's files live in their own `run_id=<run>/` folder, so the number of raw files of a
    run identifies what was read for it (int_run_fingerprints counts them from the staging
    tables). A run is (re)processed when its file count differs from the `run_source_files`
    the incremental model stored for it, when it is new, when it left the upstream set (its
    files vanished, or a data-quality verdict quarantined it: its rows are deleted by the
    post-hook `delete_runs_missing_upstream`), or when a method column (normalisation,
    ground-truth source) no longer matches the project vars. The models then `delete+insert`
    by run_id, so history is never re-read. A run released after a quarantine re-enters the
    upstream set and is processed like a new one.

    A seed change (ground truth, formulas) is not detected: run `dbt build --full-refresh`.
-#}

{#- (run_id, run_source_files) of the published VSM 2013 runs: runs with vsm2013 answers that
    are not quarantined (int_run_quality_status); run_source_files = the run's response files. -#}
{% macro vsm_run_fingerprints() -%}
    select fingerprints.run_id, fingerprints.n_response_files as run_source_files
    from {{ ref('int_run_fingerprints') }} as fingerprints
    left join {{ ref('int_run_quality_status') }} as quality on fingerprints.run_id = quality.run_id
    where fingerprints.has_vsm2013 and not coalesce(quality.is_quarantined, false)
{%- endmacro %}


{#- (run_id, run_source_files) of every run with responses or lifecycle events, quarantined or
    not; run_source_files = all its raw files: responses, lifecycle events, judgements and
    data-quality verdicts (the `runs` mart shows them; int_run_integrity checks them). -#}
{% macro all_run_fingerprints() -%}
    select run_id, n_response_files + n_event_files + n_status_files + n_judgement_files as run_source_files
    from {{ ref('int_run_fingerprints') }}
{%- endmacro %}


{#- (run_id, run_source_files) stored by an upstream run-keyed incremental model. -#}
{% macro stored_run_fingerprints(relation) -%}
    select run_id, max(run_source_files) as run_source_files from {{ relation }} group by run_id
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


{#-
    Post-hook of the run-keyed incremental models: delete the rows of runs that are no longer
    upstream (quarantined, or their raw files removed). delete+insert replaces only the runs
    that produced rows in this build, so a run that now produces none would otherwise stay.
-#}
{% macro delete_runs_missing_upstream(fingerprints) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where run_id not in (
            select run_id from ({{ fingerprints }}) as upstream where run_id is not null
        )
    {%- endif -%}
{%- endmacro %}


{#- The config of a run-keyed incremental model: delete+insert by run_id, and a post-hook that
    deletes the rows of the runs missing from `fingerprints` (the Jinja of a call of one of the
    fingerprint macros above, rendered when the hook runs). -#}
{% macro incremental_by_run_config(fingerprints, on_schema_change='append_new_columns') -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='run_id',
        on_schema_change=on_schema_change,
        post_hook="{{ delete_runs_missing_upstream(" ~ fingerprints ~ ") }}",
    ) }}
{%- endmacro %}
