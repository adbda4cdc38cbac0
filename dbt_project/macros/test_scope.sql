{#-
    Scope of the data tests on the staging tables (issue 5 "Speed and growth").

    Every generic test wraps its model in get_where_subquery(relation), which applies the test's
    `where` config. Here a `where` may contain the placeholder `__latest_load__`: the rows of the
    runs that the latest load of the staging table touched (column `loaded_at`, one value per
    dbt build that appended rows). dbt_project.yml sets `where: __latest_load__` on every test
    of models/staging/, so a build checks the runs it loaded (every row of each such run, so a
    key duplicated between an old and a new file of the same run is still caught), not the
    whole history again; a full build (or --full-refresh) checks everything, as every row is
    in the latest load. The runs are looked up first and put into the filter as literals, so
    DuckDB skips the other row groups.

    Var `staging_tests_scope`: `latest_load` (default) or `all` (the placeholder becomes
    `true`: every row, e.g. a periodic full check or after a failed build was overridden).

    Why this is safe: a build whose staging test fails stops there (dbt build skips the models
    downstream of a failed test), and every run is also checked in full, once, by the Great
    Expectations raw checkpoint (issue 6), which quarantines a bad run. What the scope gives up:
    re-checking old runs on every build, which they never need since raw files are append-only.
-#}
{% macro duckdb__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__latest_load__' in where -%}
        {%- set where = where | replace('__latest_load__', latest_load_filter(relation)) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{% macro latest_load_filter(relation) -%}
    {%- set scope = var('staging_tests_scope', 'latest_load') -%}
    {%- if scope == 'all' or not execute -%}
        {{ return('true') }}
    {%- elif scope != 'latest_load' -%}
        {{ exceptions.raise_compiler_error("staging_tests_scope must be `latest_load` or `all`, not '" ~ scope ~ "'") }}
    {%- endif -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {#- not built yet (e.g. `dbt compile` on a new warehouse): nothing to narrow -#}
        {{ return('true') }}
    {%- endif -%}
    {%- set query -%}
        select distinct run_id
        from {{ relation }}
        where loaded_at = (select max(loaded_at) from {{ relation }})
          and run_id is not null
        order by run_id
    {%- endset -%}
    {%- set runs = run_query(query).columns[0].values() | list -%}
    {#- (run_id is null) keeps rows without a run_id in scope, so not_null(run_id) still sees them -#}
    {{ return('(' ~ run_id_filter(runs) ~ ' or run_id is null)') }}
{%- endmacro %}
