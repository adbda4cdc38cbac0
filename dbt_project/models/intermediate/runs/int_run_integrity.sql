{#-
    What is wrong, row by row, with the raw rows of each run: duplicated keys, missing key
    values, values outside the contract's closed sets, countries no seed knows. One row per run
    with raw files; `problem` is null for a sound run, else one line naming every failed check
    with its count. int_run_quality_status quarantines a run with a problem (its reason is this
    line), so bad rows in one run never stop the others from publishing, and the tests on the
    published layer (int_responses_published) always see sound rows.

    Incremental by run (macro runs_to_process over every raw file of the run): a build checks
    only the runs whose files changed.
-#}
{{ incremental_by_run_config("all_run_fingerprints()", on_schema_change='sync_all_columns') }}
{%- set runs = runs_to_process(all_run_fingerprints()) -%}
{%- set response_key = ['instrument', 'item_id', 'prompt_language', 'style', 'strategy', 'variant', 'trial'] -%}

with

fingerprints as ({{ all_run_fingerprints() }}),
responses as (select * from {{ ref('stg_raw__responses') }} where {{ run_id_filter(runs) }}),
judgements as (select * from {{ ref('stg_raw__judgements') }} where {{ run_id_filter(runs) }}),
events as (select * from {{ ref('stg_raw__run_events') }} where {{ run_id_filter(runs) }}),
countries as (select country_code from {{ ref('countries') }}),
culturespa_countries as (select country_code from {{ ref('culturespa_countries') }}),

response_checks as (

    select
        run_id,
        count(*) - count(distinct (
            {%- for column in response_key %}{{ column }}, {% endfor %}country
        )) as n_duplicate_keys,
        count(*) filter (where {% for column in response_key %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}) as n_missing_keys,
        count(*) filter (where answer_method is null or answer_method not in ('logprobs', 'parsed', 'judge')) as n_bad_answer_method,
        count(*) filter (where parse_status is null or parse_status not in ('ok', 'unparseable', 'refusal', 'error')) as n_bad_parse_status,
        count(*) filter (
            where country is not null
              and ((instrument = 'wvs_culturespa' and country not in (select country_code from culturespa_countries))
                   or (instrument <> 'wvs_culturespa' and country not in (select country_code from countries)))
        ) as n_unknown_country
    from responses
    group by run_id

),

judgement_checks as (

    select
        run_id,
        count(*) - count(distinct (
            {%- for column in response_key %}{{ column }}, {% endfor %}country, respondent
        )) as n_duplicate_judgements,
        count(*) filter (
            where respondent is null or judge_model is null or stance is null or stance not in ('pro', 'con', 'null')
        ) as n_bad_judgements
    from judgements
    group by run_id

),

event_checks as (

    select
        run_id,
        count(*) filter (where event is null or event not in ('started', 'completed', 'failed')) as n_bad_events
    from events
    group by run_id

),

checked as (

    select
        fingerprints.run_id,
        fingerprints.run_source_files,
        list_filter([
            {%- for check, label in [
                ('response_checks.n_duplicate_keys', 'responses with a duplicated key'),
                ('response_checks.n_missing_keys', 'responses missing a key value'),
                ('response_checks.n_bad_answer_method', 'responses with an unknown answer_method'),
                ('response_checks.n_bad_parse_status', 'responses with an unknown parse_status'),
                ('response_checks.n_unknown_country', 'responses for a country no seed knows'),
                ('judgement_checks.n_duplicate_judgements', 'judgements with a duplicated key'),
                ('judgement_checks.n_bad_judgements', 'judgements missing a value or with an unknown stance'),
                ('event_checks.n_bad_events', 'lifecycle events of an unknown kind'),
            ] %}
            case when coalesce({{ check }}, 0) > 0 then {{ check }} || ' {{ label }}' end{% if not loop.last %},{% endif %}
            {%- endfor %}
        ], problem -> problem is not null) as problems
    from fingerprints
    left join response_checks on fingerprints.run_id = response_checks.run_id
    left join judgement_checks on fingerprints.run_id = judgement_checks.run_id
    left join event_checks on fingerprints.run_id = event_checks.run_id
    where {{ run_id_filter(runs, 'fingerprints.run_id') }}

),

final as (

    select
        run_id,
        case when len(problems) > 0 then 'raw rows: ' || array_to_string(problems, '; ') end as problem,
        run_source_files
    from checked

)

select * from final
