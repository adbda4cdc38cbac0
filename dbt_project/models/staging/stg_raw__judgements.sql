{#-
    Judge stances, renamed and cast only. When the data dir has no judgement files (no
    wvs_polarity run yet), read_parquet on the source's glob would fail, so the model reads an
    empty relation typed from its own contract instead (checked at run time with glob()).
-#}
{%- set judgements = source('raw', 'judgements') -%}

with

source as (

    {% if raw_parquet_exists('judgements') -%}
    select * from {{ judgements }}
    {%- else -%}
    {{ empty_relation_from_contract() }}
    {%- endif %}

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
        cast(source_file as varchar) as source_file

    from source

)

select * from renamed
