{#-
    Spearman rank correlation between the model's topic polarities and the WVS polarity of a
    reference population (Rystrøm et al.: a country, a language's speakers, or every WVS/EVS
    respondent, the global level), per run × prompt language × reference, and the US-centric
    bias of the local truth_references. See the yml for definitions and choices.
-#}
{%- set group_key = run_version_key() + ['prompt_language', 'style', 'strategy'] -%}
{%- set reference_key = ['reference_level', 'reference_code'] -%}
{%- set min_points = wvs_metric_setting('correlation_min_points') -%}

with

topics as (select * from {{ ref('int_wvs_polarity_topics_scored') }}),
polarity_truth as (select * from {{ ref('wvs_polarity') }}),

truth_references as (

    select
        'country' as reference_level,
        country_code as reference_code,
        language_code as reference_language,
        source_file,
        question_key,
        pro_score
    from polarity_truth
    where level = 'country'
      and source_file = '{{ wvs_metric_setting("polarity_country_source_file") }}'

    union all

    select
        'language' as reference_level,
        language_code as reference_code,
        language_code as reference_language,
        source_file,
        question_key,
        pro_score
    from polarity_truth
    where level = 'language'
      and source_file = '{{ wvs_metric_setting("polarity_language_source_file") }}'

    union all

    select
        'global' as reference_level,
        'global' as reference_code,
        cast(null as varchar) as reference_language,
        source_file,
        question_key,
        pro_score
    from polarity_truth
    where level = 'global'
      and source_file = '{{ wvs_metric_setting("polarity_global_source_file") }}'

),

groups as (

    select
        {{ group_key | join(',\n        ') }},
        sum(n_replies) as n_replies,
        sum(n_valid_replies) as n_valid_replies
    from topics
    group by {{ group_key | join(', ') }}

),

reference_units as (

    select distinct reference_level, reference_code, reference_language, source_file
    from truth_references

),

group_references as (

    select groups.*, reference_units.*
    from groups
    cross join reference_units

),

-- every topic the run answered with a polarity, against each reference's truth for it: a point
-- of weight 1 (the replicates of int_regression_polarity_replicates weight it by its draws)
pairs as (

    select
        {{ qualified('topics', group_key) }},
        truth_references.reference_level,
        truth_references.reference_code,
        topics.item_id,
        topics.polarity,
        truth_references.pro_score,
        1 as weight
    from topics
    inner join truth_references on topics.item_id = truth_references.question_key
    where topics.polarity is not null

),

{{ weighted_spearman('pairs', group_key + reference_key, 'polarity', 'pro_score', 'weight', min_points) }},

scored as (

    select
        group_references.*,
        coalesce(correlated.n_points, 0) as n_topics,
        coalesce(correlated.null_reason, case when correlated.n_points is null then 'too_few_points' end)
            as null_reason,
        correlated.rho as spearman
    from group_references
    left join correlated
        on {{ null_safe_join('group_references', 'correlated', group_key + reference_key) }}

),

with_us as (

    select
        scored.*,
        us.spearman as spearman_us,
        case
            when scored.reference_level = 'country'
                then scored.reference_language = scored.prompt_language
            when scored.reference_level = 'language'
                then scored.reference_code = scored.prompt_language
            else false  -- every respondent, in every language: no prompt language is its own
        end as is_local
    from scored
    left join scored as us
        on {{ null_safe_join('scored', 'us', group_key) }}
        and us.reference_level = 'country'
        and us.reference_code = 'US'

),

biased as (

    select
        *,
        source_file as ground_truth_source_file,
        case
            when reference_level = 'country' and is_local and reference_code <> 'US'
                then spearman_us - spearman
        end as us_centric_bias,
        case
            when reference_level <> 'country' or not is_local then 'not_a_local_country'
            when reference_code = 'US' then 'reference_is_us'
            when spearman is null or spearman_us is null then 'alignment_undefined'
        end as us_centric_bias_null_reason
    from with_us

),

final as (

    select
        {{ contract_casts() }}
    from biased

)

select * from final
