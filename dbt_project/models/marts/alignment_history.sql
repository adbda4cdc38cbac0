{#-
    Every headline metric of every (non-quarantined) run, per model x version over time, with
    what makes two versions comparable. The metrics and the mart slice each one reads are the
    seed regression_thresholds (generated from include/culturewatch/config/
    regression_thresholds.yaml). Values are the marts' own numbers, never recomputed here;
    version-level rows (scope `version_mean`, country and prompt_language null) are plain means
    over the run's country rows with a value. See alignment_history.yml.
-#}
with

metrics as (select * from {{ ref('regression_thresholds') }}),

run_versions as (

    select * from {{ ref('int_regression_run_versions') }}
    where run_status is distinct from 'quarantined'

),

countries as (select * from {{ ref('countries') }}),
culturespa_countries as (select * from {{ ref('culturespa_countries') }}),
deviation as (select * from {{ ref('deviation_ratio') }}),
alignment as (select * from {{ ref('cultural_alignment_score') }}),
polarity as (select * from {{ ref('value_polarity_alignment') }}),

deviation_rows as (

    select
        deviation.run_id,
        metrics.metric,
        deviation.country,
        case metrics.setting
            when 'aligned' then countries.language_code
            {%- for setting, language in var('dr_language_settings').items() %}
            when '{{ setting }}' then '{{ language }}'
            {%- endfor %}
        end as prompt_language,
        metrics.setting,
        deviation.strategy,
        deviation.style,
        deviation.variant,
        deviation.deviation_ratio as value,
        deviation.n_dimensions as n,
        'dimensions' as n_unit,
        deviation.n_trials,
        deviation.null_reason,
        deviation.is_unstable,
        true as in_version_mean,
        deviation.ground_truth_source as ground_truth_version,
        deviation.normalisation
    from deviation
    {{ in_metric_slice('deviation', 'vsm2013') }}
    left join countries on deviation.country = countries.country_code
    where deviation.dimension = 'overall'

),

alignment_rows as (

    select
        alignment.run_id,
        metrics.metric,
        alignment.country,
        alignment.prompt_language,
        cast(null as varchar) as setting,
        alignment.strategy,
        alignment.style,
        alignment.variant,
        alignment.cas as value,
        alignment.n_questions as n,
        'questions' as n_unit,
        alignment.n_trials,
        alignment.null_reason,
        false as is_unstable,
        -- the CultureSPA paper's 18 cultures, as model_leaderboard averages them
        coalesce(culturespa_countries.in_paper_18, false) as in_version_mean,
        'culturespa_wvs7_majority' as ground_truth_version,
        cast(null as varchar) as normalisation
    from alignment
    {{ in_metric_slice('alignment', 'wvs_culturespa') }}
    left join culturespa_countries on alignment.country = culturespa_countries.country_code

),

polarity_rows as (

    select
        polarity.run_id,
        metrics.metric,
        polarity.reference_code as country,
        polarity.prompt_language,
        cast(null as varchar) as setting,
        polarity.strategy,
        polarity.style,
        cast(null as varchar) as variant,
        polarity.spearman as value,
        polarity.n_topics as n,
        'topics' as n_unit,
        cast(null as integer) as n_trials,
        polarity.null_reason,
        false as is_unstable,
        true as in_version_mean,
        polarity.ground_truth_source_file as ground_truth_version,
        cast(null as varchar) as normalisation
    from polarity
    {{ in_metric_slice('polarity', 'wvs_polarity') }}
    where polarity.reference_level = 'country'
        and polarity.is_local

),

country_rows as (

    select *, 'country' as scope from deviation_rows
    union all by name
    select *, 'country' as scope from alignment_rows
    union all by name
    select *, 'country' as scope from polarity_rows

),

version_mean_rows as (

    select
        run_id,
        metric,
        cast(null as varchar) as country,
        cast(null as varchar) as prompt_language,
        any_value(setting) as setting,
        any_value(strategy) as strategy,
        any_value(style) as style,
        any_value(variant) as variant,
        {{ ordered_avg('case when in_version_mean then value end', 'country, prompt_language') }} as value,
        count(value) filter (where in_version_mean) as n,
        'countries' as n_unit,
        cast(null as integer) as n_trials,
        case when count(value) filter (where in_version_mean) = 0 then 'no_country_value' end as null_reason,
        coalesce(bool_or(is_unstable) filter (where in_version_mean and value is not null), false)
            as is_unstable,
        cast(null as boolean) as in_version_mean,
        string_agg(distinct ground_truth_version, ', ' order by ground_truth_version) as ground_truth_version,
        string_agg(distinct normalisation, ', ' order by normalisation) as normalisation,
        'version_mean' as scope
    from country_rows
    group by run_id, metric

),

all_rows as (

    select * from country_rows
    union all by name
    select * from version_mean_rows

),

final as (

    select
        cast(run_versions.model as varchar) as model,
        cast(run_versions.model_version as varchar) as model_version,
        cast(all_rows.run_id as varchar) as run_id,
        cast(run_versions.instrument as varchar) as instrument,
        cast(all_rows.metric as varchar) as metric,
        cast(all_rows.scope as varchar) as scope,
        cast(all_rows.country as varchar) as country,
        cast(all_rows.prompt_language as varchar) as prompt_language,
        cast(all_rows.value as double) as value,
        cast(all_rows.n as integer) as n,
        cast(all_rows.n_unit as varchar) as n_unit,
        cast(all_rows.n_trials as integer) as n_trials,
        cast(all_rows.null_reason as varchar) as null_reason,
        cast(all_rows.is_unstable as boolean) as is_unstable,
        cast(all_rows.in_version_mean as boolean) as in_version_mean,
        cast(metrics.higher_is_better as boolean) as higher_is_better,
        cast(metrics.metric_kind as varchar) as metric_kind,
        cast(all_rows.setting as varchar) as setting,
        cast(all_rows.strategy as varchar) as strategy,
        cast(all_rows.style as varchar) as style,
        cast(all_rows.variant as varchar) as variant,
        cast(run_versions.run_status as varchar) as run_status,
        cast(run_versions.run_started_at as timestamptz) as run_started_at,
        cast(run_versions.run_finished_at as timestamptz) as run_finished_at,
        cast(run_versions.version_first_probed_at as timestamptz) as version_first_probed_at,
        cast(run_versions.instrument_version as varchar) as instrument_version,
        cast(run_versions.parser_version as varchar) as parser_version,
        cast(run_versions.judge_version as varchar) as judge_version,
        cast(all_rows.ground_truth_version as varchar) as ground_truth_version,
        cast(all_rows.normalisation as varchar) as normalisation,
        cast(run_versions.has_mixed_versions as boolean) as has_mixed_versions,
        cast(run_versions.is_regression_eligible as boolean) as is_regression_eligible
    from all_rows
    inner join run_versions on all_rows.run_id = run_versions.run_id
    inner join metrics on all_rows.metric = metrics.metric

)

select * from final
