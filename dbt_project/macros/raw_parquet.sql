{#-
    Raw Parquet folders that may legitimately have no files yet (e.g. `judgements`: a data dir
    without wvs_polarity runs has none), where read_parquet on the source's glob would fail.

    raw_parquet_glob(folder): the glob of the folder's part files, the same pattern as the
    source's `external_location` in models/staging/__sources.yml.
    raw_parquet_exists(folder): at run time, whether that glob matches at least one file
    (DuckDB `glob()`); at parse time (nothing is executed) true.
-#}
{% macro raw_parquet_glob(folder) -%}
    {{ env_var('CULTUREWATCH_DATA_DIR', '../data') }}/raw/{{ folder }}/*/*.parquet
{%- endmacro %}

{% macro raw_parquet_exists(folder) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set pattern = raw_parquet_glob(folder) | replace("'", "''") -%}
    {%- set result = run_query("select count(*) as n_files from glob('" ~ pattern ~ "')") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}
