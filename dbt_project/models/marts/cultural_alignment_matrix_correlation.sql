{#-
    How well the model's cross-cultural alignment scores mirror the WVS reference (CultureSPA
    §6.2, Fig. 5): Pearson between the off-diagonal entries of a model matrix and of the WVS
    reference matrix S(A_ci, A_cj), per run × strategy × style × variant and comparison.
-#}
{%- set group_key = run_version_key() + ['strategy', 'prompt_language', 'style', 'variant'] -%}
{%- set min_points = wvs_metric_setting('correlation_min_points') -%}

with

matrix as (select * from {{ ref('cultural_alignment_matrix') }}),

-- the diagonal (S of a culture with itself) stays in the group but out of the correlation
long_form as (

    select {{ group_key | join(', ') }}, culture_i, culture_j,
        'model_vs_model' as comparison,
        case when not is_diagonal then s_model_model end as s_model,
        case when not is_diagonal then s_wvs_reference end as s_wvs_reference
    from matrix
    union all
    select {{ group_key | join(', ') }}, culture_i, culture_j,
        'model_vs_wvs' as comparison,
        case when not is_diagonal then s_model_wvs end as s_model,
        case when not is_diagonal then s_wvs_reference end as s_wvs_reference
    from matrix

),

correlated as (

    select
        {{ group_key | join(',\n        ') }},
        comparison,
        {{ pearson_or_null('s_model', 's_wvs_reference', min_points) }} as pearson,
        {{ correlation_null_reason('s_model', 's_wvs_reference', min_points) }} as null_reason,
        count(s_model + s_wvs_reference) as n_pairs,
        count(distinct culture_i) as n_cultures
    from long_form
    group by {{ group_key | join(', ') }}, comparison

),

final as (

    select
        {{ contract_casts() }}
    from correlated

)

select * from final
