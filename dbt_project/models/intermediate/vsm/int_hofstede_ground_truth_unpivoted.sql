{#-
    Ground truth for the deviation ratio in long form. mean_c GT_d (global_mean) is the
    mean of dimension d over every country in the Hofstede seed with a value for d
    (the 20 countries; 18 for PDI/IDV/MAS/UAI, as Egypt and Tanzania have none).
    With var dr_use_regional_proxies = true, the gaps are filled from Hofstede's regional
    rows (flagged per value) and those values enter the global mean too.
-#}
{%- set use_proxies = var('dr_use_regional_proxies') -%}
{%- set source_label = 'hofstede_2015_regional_proxies' if use_proxies else 'hofstede_2015' -%}

with

hofstede as (select * from {{ ref('hofstede_country_scores') }}),
regional_proxies as (select * from {{ ref('hofstede_regional_proxies') }}),
countries as (select * from {{ ref('countries') }}),

country_values as (

    select iso3, dimension, ground_truth
    from (select iso3, pdi, idv, mas, uai, lto, ivr from hofstede)
    unpivot (ground_truth for dimension in (pdi, idv, mas, uai, lto, ivr))
    where ground_truth is not null

),

proxy_values as (

    select iso3, dimension, ground_truth
    from (
        select hofstede.iso3, proxy.pdi, proxy.idv, proxy.mas, proxy.uai, proxy.lto, proxy.ivr
        from regional_proxies as proxy
        inner join hofstede on proxy.for_country = hofstede.country
    )
    unpivot (ground_truth for dimension in (pdi, idv, mas, uai, lto, ivr))
    where ground_truth is not null

),

used_values as (

    select iso3, dimension, ground_truth, false as is_regional_proxy
    from country_values

    {%- if use_proxies %}

    union all

    -- a regional value only where the country has none of its own
    select iso3, dimension, ground_truth, true as is_regional_proxy
    from proxy_values
    where not exists (
        select 1 from country_values
        where country_values.iso3 = proxy_values.iso3
          and country_values.dimension = proxy_values.dimension
    )
    {%- endif %}

),

with_global_mean as (

    select
        *,
        avg(ground_truth) over (partition by dimension) as global_mean
    from used_values

),

final as (

    select
        countries.country_code as country,
        with_global_mean.iso3,
        with_global_mean.dimension,
        with_global_mean.ground_truth,
        with_global_mean.global_mean,
        abs(with_global_mean.ground_truth - with_global_mean.global_mean)
            as deviation_from_global_average,
        with_global_mean.is_regional_proxy,
        '{{ source_label }}' as ground_truth_source
    from with_global_mean
    inner join countries on with_global_mean.iso3 = countries.iso3

)

select * from final
