{#-
    Bravansky et al.'s comparison as distributions, for figures: the model's and the human answer
    distribution of each wvs_culturespa evaluation question, option by option. The model's is
    the one distribution_similarity compares (its point estimate): the mean over the group's
    valid answers (trials pooled, int_wvs_culturespa_distribution_answers) of each answer's
    distribution, its answer_probs (normalised) when from logprobs, a point mass on its code
    when parsed. The human one is the country's WVS shares (seed wvs_cultureSPA_answers,
    proportion_renormalised, renormalised once more to sum exactly 1; options nobody chose 0).
    Persona answers are compared with their own country, persona-free ones with every CultureSPA
    country, as distribution_similarity does. See answer_distributions.yml.
-#}
{%- set group_key = [
    'run_id', 'model', 'model_version', 'country', 'prompt_language', 'style', 'strategy', 'variant', 'item_id',
] -%}

with

answers as (select * from {{ ref('int_wvs_culturespa_distribution_answers') }}),
culturespa_countries as (select * from {{ ref('culturespa_countries') }}),
human_answers as (select * from {{ ref('wvs_cultureSPA_answers') }}),

-- the model's share of each option: the mean of its answers' distributions
model_shares as (

    select
        {{ group_key | join(',\n        ') }},
        positions.position,
        any_value(option_code_base) as option_code_base,
        any_value(n_valid) as n_valid,
        -- summed in answer order (answer_index is unique in the group): a parallel sum adds in
        -- whatever order the threads deliver, which moved the last bit between builds
        list_sum(list(
            case
                when answer_probs is not null then answer_probs[positions.position + 1] / list_sum(answer_probs)
                when positions.position = model_code - option_code_base then 1.0
                else 0.0
            end
            order by answer_index
        )) / any_value(n_valid) as model_share
    from answers,
        unnest(range(n_options)) as positions(position)
    group by {{ group_key | join(', ') }}, positions.position

),

-- persona answers are compared with their own country, persona-free ones with every country
compared as (

    select
        model_shares.*,
        coalesce(model_shares.country, culturespa_countries.country_code) as reference_country,
        culturespa_countries.iso3
    from model_shares
    inner join culturespa_countries
        on model_shares.country is null or model_shares.country = culturespa_countries.country_code

),

human_totals as (

    -- summed in option order, so the shares have the same bits in every build
    select country_code, q_id, list_sum(list(proportion_renormalised order by option_code)) as total
    from human_answers
    group by country_code, q_id

),

joined as (

    select
        compared.* exclude (country),
        compared.reference_country as country,
        compared.country is null as is_persona_free,
        compared.position as option_position,
        compared.position + compared.option_code_base as option_code,
        coalesce(human_answers.proportion_renormalised, 0) / human_totals.total as human_share
    from compared
    inner join human_totals
        on compared.iso3 = human_totals.country_code
        and compared.item_id = human_totals.q_id
    left join human_answers
        on compared.iso3 = human_answers.country_code
        and compared.item_id = human_answers.q_id
        and compared.position + compared.option_code_base = human_answers.option_code

),

final as (

    select
        {{ contract_casts() }}
    from joined

)

select * from final
