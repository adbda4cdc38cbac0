{#-
    One row per model version with its headline metrics, each from the latest run of that
    version that measured it (runs.started_at), for the dashboard and the alerts. Every
    headline is a plain mean of a mart's own numbers over the countries (or languages) that
    have one, with the count beside it; no metric is recomputed here.
-#}
{#- CultureSPA's persona strategies (P1, P2, P1+P3, ...), one mean CAS column each -#}
{%- set cas_strategies = [
    'unaware', 'aware', 'cross_culture', 'self_alignment', 'aware_self_alignment', 'cross_culture_self_alignment',
] -%}
with

runs as (select * from {{ ref('runs') }} where status is distinct from 'quarantined'),

versions as (

    select
        model,
        model_version,
        count(*) as n_runs,
        min(started_at) as first_probed_at,
        max(coalesce(finished_at, started_at)) as last_probed_at,
        sum(prompt_tokens)::bigint as prompt_tokens,
        sum(completion_tokens)::bigint as completion_tokens,
        sum(cost_usd) as cost_usd,
        sum(n_parse_ok) as n_parse_ok,
        sum(rows_on_disk) as rows_on_disk,
        list(run_id order by run_id) as run_ids
    from runs
    group by model, model_version

),

{#- the latest run of each version per instrument: the one whose numbers are the headline -#}
latest_runs as (

    select model, model_version, instrument, run_id
    from runs
    qualify row_number() over (
        partition by model, model_version, instrument order by started_at desc nulls last, run_id desc
    ) = 1

),

deviation as (

    {% call latest_run_headline(
        ref('deviation_ratio'), 'ratios', 'vsm2013',
        "ratios.dimension = 'overall' and ratios.style = 'classification' and ratios.variant = 'base'"
    ) -%}
        {%- for setting in ['aligned', 'english'] %}
        avg(deviation_ratio) filter (where setting = '{{ setting }}') as mean_deviation_ratio_{{ setting }},
        count(deviation_ratio) filter (where setting = '{{ setting }}') as n_countries_{{ setting }},
        count(*) filter (where setting = '{{ setting }}' and is_unstable) as n_unstable_{{ setting }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    {%- endcall %}

),

alignment as (

    {% call latest_run_headline(
        ref('cultural_alignment_score'), 'scores', 'wvs_culturespa',
        "scores.style = 'classification' and scores.variant = 'base' and scores.in_paper_18"
    ) -%}
        {%- for strategy in cas_strategies %}
        avg(cas) filter (where strategy = '{{ strategy }}') as mean_cas_{{ strategy }},
        {%- endfor %}
        count(cas) filter (where strategy = 'aware') as n_countries_cas_aware
    {%- endcall %}

),

polarity as (

    {% call latest_run_headline(
        ref('value_polarity_alignment'), 'polarity', 'wvs_polarity',
        "polarity.is_local and polarity.reference_level = 'country'"
    ) -%}
        avg(spearman) as mean_polarity_spearman_local,
        count(spearman) as n_polarity_comparisons_local,
        avg(us_centric_bias) as mean_us_centric_bias
    {%- endcall %}

),

consistency as (

    {% call latest_run_headline(ref('self_consistency'), 'consistency') -%}
        avg(self_consistency) filter (where consistency.instrument = 'vsm2013') as mean_self_consistency_vsm,
        count(self_consistency) filter (where consistency.instrument = 'vsm2013') as n_self_consistency_vsm,
        avg(self_consistency) filter (where consistency.instrument = 'wvs_polarity')
            as mean_self_consistency_polarity
    {%- endcall %}

),

final as (

    select
        versions.model,
        versions.model_version,
        versions.n_runs,
        versions.first_probed_at,
        versions.last_probed_at,
        deviation.mean_deviation_ratio_aligned,
        coalesce(deviation.n_countries_aligned, 0) as n_countries_aligned,
        deviation.mean_deviation_ratio_english,
        coalesce(deviation.n_countries_english, 0) as n_countries_english,
        coalesce(deviation.n_unstable_aligned, 0) as n_unstable_aligned,
        coalesce(deviation.n_unstable_english, 0) as n_unstable_english,
        {%- for strategy in cas_strategies %}
        alignment.mean_cas_{{ strategy }},
        {%- endfor %}
        coalesce(alignment.n_countries_cas_aware, 0) as n_countries_cas_aware,
        polarity.mean_polarity_spearman_local,
        coalesce(polarity.n_polarity_comparisons_local, 0) as n_polarity_comparisons_local,
        polarity.mean_us_centric_bias,
        consistency.mean_self_consistency_vsm,
        coalesce(consistency.n_self_consistency_vsm, 0) as n_self_consistency_vsm,
        consistency.mean_self_consistency_polarity,
        versions.n_parse_ok::double / nullif(versions.rows_on_disk, 0) as parse_rate,
        versions.rows_on_disk::bigint as rows_on_disk,
        versions.prompt_tokens,
        versions.completion_tokens,
        versions.cost_usd,
        versions.run_ids
    from versions
    left join deviation using (model, model_version)
    left join alignment using (model, model_version)
    left join polarity using (model, model_version)
    left join consistency using (model, model_version)

)

select * from final
