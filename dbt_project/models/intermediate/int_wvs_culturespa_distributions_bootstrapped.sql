{{ config(materialized='table') }}
{#-
    Wasserstein-1 distance between the model's and the human answer distribution of one
    wvs_culturespa question (Bravansky et al.), for the full sample (replicate 0) and for every
    bootstrap replicate 1..B. See distribution_similarity.yml for the method.

    Answer group G = run × model × versions × persona country × prompt language × style ×
    strategy × variant × question; its valid answers are pooled over trials. Each valid answer
    contributes a distribution over the question's K ordinal positions (position = code -
    option_code_base): its answer_probs (logprobs) or a point mass on its code (parsed), and
    the model distribution is the mean of the contributions. A replicate redraws n answers from
    the group's n valid answers with replacement; draw j of replicate b picks answer
    md5_number_lower(seed | group label | b | j) % n + 1
    (the lower 64 bits of the MD5 of that text), answers being numbered in the order of
    their content (code, then probabilities), so the draws depend only on the seed, the group
    label (persona country, prompt language, style, strategy, variant, question; not the run,
    so two runs with the same answers get the same interval: common random numbers when
    versions are compared) and the multiset of answers, never on trial labels or row order.
    W = sum_{k=0}^{K-2} |F_model(k) - F_human(k)| / (K - 1), positions scaled to [0, 1].

    Exact and fast: probabilities are carried as integers in units of 1e-9 (the human shares
    have 6 decimals, so exactly; model probabilities rounded to 1e-9), so every sum is an exact
    integer sum, independent of the order a parallel aggregate adds in, and a rerun gives
    bit-identical numbers; W is one division at the end. The heavy steps key on an integer
    group id instead of the 11 key columns.
-#}
{%- set scale = 1000000000 -%}
{%- set group_key = [
    'run_id', 'model', 'model_version', 'instrument_version', 'parser_version', 'country',
    'prompt_language', 'style', 'strategy', 'variant', 'item_id',
] -%}
{%- set replicates = wvs_metric_setting('distribution_bootstrap_replicates') | int -%}
{%- set seed = wvs_metric_setting('distribution_bootstrap_seed') | int -%}

with

answers as (

    select * from {{ ref('int_wvs_culturespa_answers_coded') }}
    where in_culturespa_eval
      and answer_status = 'valid'

),

culturespa_countries as (

    select * from {{ ref('culturespa_countries') }}

),

questions as (

    select * from {{ ref('wvs_cultureSPA_questions') }}

),

human_answers as (

    select * from {{ ref('wvs_cultureSPA_answers') }}

),

numbered as (

    select
        *,
        dense_rank() over (order by {{ group_key | join(', ') }}) as group_id,
        row_number() over (
            partition by {{ group_key | join(', ') }}
            order by model_code, answer_probs nulls first
        ) as answer_index,
        count(*) over (partition by {{ group_key | join(', ') }}) as n_valid
    from answers

),

groups as (

    select distinct
        group_id,
        {{ group_key | join(',\n        ') }},
        n_valid,
        n_options,
        concat_ws('|', coalesce(country, '-'), prompt_language, style, strategy, variant, item_id)
            as group_label
    from numbered

),

-- each valid answer's distribution over the K positions, in units of 1e-9
contributions as (

    select
        group_id,
        answer_index,
        position,
        case
            when answer_probs is not null
                then cast(round(answer_probs[position + 1] / list_sum(answer_probs) * {{ scale }}) as bigint)
            when position = model_code - option_code_base then {{ scale }}
            else 0
        end as units
    from numbered,
        unnest(range(n_options)) as positions(position)

),

-- replicate 0: every answer once; replicates 1..B: n seeded draws with replacement
draws as (

    select group_id, 0 as replicate, answer_index
    from numbered

    {%- if replicates > 0 %}

    union all

    select
        group_id,
        replicate,
        -- unsigned 64-bit arithmetic throughout: uhugeint % integer would go through double
        cast(
            md5_number_lower(concat_ws('|', {{ seed }}, group_label, replicate, draw))
                % cast(n_valid as ubigint)
            as bigint
        ) + 1 as answer_index
    from groups,
        range(1, {{ replicates + 1 }}) as replicates(replicate),
        unnest(range(n_valid)) as draws(draw)
    {%- endif %}

),

multiplicities as (

    select group_id, replicate, answer_index, count(*) as multiplicity
    from draws
    group by all

),

-- n * S * F_model(k), an exact integer
model_cdfs as (

    select
        group_id,
        replicate,
        position,
        sum(sum(multiplicities.multiplicity * contributions.units)) over (
            partition by group_id, replicate
            order by position rows between unbounded preceding and current row
        ) as cumulative_units
    from multiplicities
    inner join contributions using (group_id, answer_index)
    group by group_id, replicate, position

),

-- human shares in units of 1e-9 (exact: the seed has 6 decimals); options nobody chose get 0
human_units as (

    select
        culturespa_countries.country_code as reference_country,
        questions.q_id as item_id,
        positions.position,
        coalesce(cast(round(human_answers.proportion_renormalised * {{ scale }}) as bigint), 0) as units
    from questions
    cross join culturespa_countries
    cross join unnest(range(questions.n_options)) as positions(position)
    left join human_answers
        on human_answers.country_code = culturespa_countries.iso3
        and human_answers.q_id = questions.q_id
        and human_answers.option_code - questions.option_code_base = positions.position
    where questions.in_culturespa_eval
      and exists (
          select 1 from human_answers as asked
          where asked.country_code = culturespa_countries.iso3 and asked.q_id = questions.q_id
      )

),

-- T * F_human(k) with T = the total units (the renormalisation to sum 1)
human_cdfs as (

    select
        reference_country,
        item_id,
        position,
        sum(units) over (
            partition by reference_country, item_id
            order by position rows between unbounded preceding and current row
        ) as cumulative_units,
        sum(units) over (partition by reference_country, item_id) as total_units
    from human_units

),

-- persona answers are compared with their own country, persona-free ones with every country
group_references as (

    select
        groups.group_id,
        groups.n_valid,
        groups.n_options,
        groups.item_id,
        coalesce(groups.country, culturespa_countries.country_code) as reference_country
    from groups
    inner join culturespa_countries
        on groups.country is null or groups.country = culturespa_countries.country_code

),

-- W = sum_k |F_m(k) - F_h(k)| / (K - 1), with F_m = A / (n S), F_h = B / T:
--   |A / (n S) - B / T| = |A T - B n S| / (n S T), summed exactly over k = 0..K-2
distances as (

    select
        group_references.group_id,
        group_references.reference_country,
        model_cdfs.replicate,
        cast(sum(abs(
            cast(model_cdfs.cumulative_units as hugeint) * human_cdfs.total_units
            - cast(human_cdfs.cumulative_units as hugeint) * group_references.n_valid * {{ scale }}
        )) as double)
            / (cast(group_references.n_valid as double) * {{ scale }} * any_value(human_cdfs.total_units))
            / (group_references.n_options - 1) as wasserstein
    from group_references
    inner join model_cdfs on group_references.group_id = model_cdfs.group_id
    inner join human_cdfs
        on group_references.reference_country = human_cdfs.reference_country
        and group_references.item_id = human_cdfs.item_id
        and model_cdfs.position = human_cdfs.position
    where model_cdfs.position < group_references.n_options - 1
    group by
        group_references.group_id, group_references.reference_country, model_cdfs.replicate,
        group_references.n_valid, group_references.n_options

),

final as (

    select
        {% for column in group_key %}groups.{{ column }},
        {% endfor -%}
        distances.reference_country,
        distances.replicate,
        distances.wasserstein,
        1 - distances.wasserstein as similarity
    from distances
    inner join groups on distances.group_id = groups.group_id

)

select * from final
