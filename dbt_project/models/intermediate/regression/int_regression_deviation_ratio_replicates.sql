{{ config(materialized='table') }}
{#-
    Paired-bootstrap replicates of the `overall` deviation ratio (Sukiennik Eq. 1) of both runs
    of every comparable vsm2013 version pair, from the contrasts each pass's dimension scores
    were computed from (int_vsm_scores_settings_assigned), with the marts' own formulas: the score
    is macro vsm_score with the drawn pair multiplicities, the ratio macros deviation_ratio_means
    and deviation_ratio. Replicate 0 is the identity draw (every dimension once, m1 = m2 = 1),
    so it is marts.deviation_ratio's `overall` value (checked by a data test).

    What an "item" is for DR. DR is a ratio of means over the dimensions d of the country:
        DR = mean_d |GT_d - mean_c GT_d| / mean_t mean_d |score_{d,t} - GT_d|
    and each dimension's score is a fixed formula of two contrast pairs of VSM items,
    raw_d = w1 (a - b) + w2 (c - d), e.g. PDI = 35 (m07 - m02) + 25 (m20 - m23). A single VSM item
    has no meaning outside its pair (m07 without m02 measures nothing), so the resampling unit is
    the contrast pair, nested in its dimension; items are resampled in two stages, as the
    formula groups them:
      1. dimensions: n_c slots drawn with replacement from the country's n_c dimensions with
         ground truth (6; 2 for Egypt and Tanzania);
      2. within each drawn slot, its dimension's 2 contrast pairs drawn with replacement
         (multiplicities m1 + m2 = 2), the raw index re-weighted so that the formula's total
         weight, hence its range and normalisation, is unchanged:
            raw* = (m1 w1 (a - b) + m2 w2 (c - d)) * (w1 + w2) / (m1 w1 + m2 w2)
         (macro vsm_raw_index) and normalised like the marts (macro vsm_normalise).
    DR* = mean over slots of |GT - mean_c GT| / mean over (slot, pass) of |score* - GT|, over the
    slots whose dimension the run scored in every pass of the setting (the mart's D* rule: a
    dimension with a missing item in any pass leaves `overall`); null when no such slot was drawn
    or the denominator is 0. Both runs of a pair see the same draws: they depend only on the
    seed, the country, the replicate and the slot (label `vsm2013|<country>`), never on the
    versions or the data, so every rebuild and every pair reproduces them.
    Size: pairs x 2 runs x metrics x countries x (B + 1) x 6 slots x trials rows before the
    aggregation (2 x 2 x 20 x 1001 x 6 x 3 = 1.4M for one pair at B = 1000, T = 3).
-#}
{%- set replicates = regression_setting('regression_bootstrap_replicates') | int -%}
{%- set seed = regression_setting('regression_bootstrap_seed') | int -%}

with

{{ regression_pair_runs('vsm2013') }},

ground_truth as (select * from {{ ref('int_hofstede_ground_truth_unpivoted') }}),
scores as (select * from {{ ref('int_vsm_scores_settings_assigned') }}),

-- every pass's dimension scores in the metric's setting, with the two contrasts and the weights
-- they were scored from (int_vsm_scores_settings_assigned: the mart's own passes and settings),
-- on the dimensions with ground truth for the country
pass_contrasts as (

    select
        {{ pair_run_columns() }},
        scores.country,
        scores.prompt_language,
        scores.trial,
        scores.dimension,
        scores.weight_1,
        scores.weight_2,
        scores.raw_min,
        scores.raw_max,
        scores.contrast_1,
        scores.contrast_2,
        scores.score,
        ground_truth.ground_truth,
        ground_truth.deviation_from_global_average
    from scores
    {{ in_pair_runs_of_metric('scores', 'vsm2013') }}
    inner join ground_truth
        on {{ equi_join('scores', 'ground_truth', ['country', 'dimension']) }}

),

-- D*: dimensions scored (all four items valid) in every pass of the slice, as the mart has it
scored_dimensions as (

    {{ scored_in_every_pass('pass_contrasts', ['pair_id', 'side', 'metric', 'country'], 'score') }}

),

-- the country's dimensions with ground truth, numbered: the population of the first stage
country_dimensions as (

    select
        country,
        dimension,
        row_number() over (partition by country order by dimension) as dimension_index,
        count(*) over (partition by country) as n_dimensions
    from ground_truth
    where country in (select country from pass_contrasts)

),

-- slot s of replicate b: a dimension (stage 1) and its pairs' multiplicities (stage 2)
slots as (

    select country, 0 as replicate, dimension_index - 1 as slot, dimension_index, 1 as m1
    from country_dimensions

    {%- if replicates > 0 %}

    union all

    select
        country,
        replicate,
        slot,
        {{ bootstrap_draw(seed, "'vsm2013|' || country || '|dimension'", 'replicate', 'slot', 'n_dimensions') }}
            as dimension_index,
        cast({{ bootstrap_draw(seed, "'vsm2013|' || country || '|pair|' || slot", 'replicate', 0, 2) }} = 1 as integer)
            + cast({{ bootstrap_draw(seed, "'vsm2013|' || country || '|pair|' || slot", 'replicate', 1, 2) }} = 1 as integer)
            as m1
    from (select distinct country, n_dimensions from country_dimensions),
        range(1, {{ replicates + 1 }}) as replicates(replicate),
        unnest(range(n_dimensions)) as slots(slot)
    {%- endif %}

),

drawn_dimensions as (

    select slots.country, slots.replicate, slots.slot, country_dimensions.dimension, slots.m1, 2 - slots.m1 as m2
    from slots
    inner join country_dimensions
        on {{ equi_join('slots', 'country_dimensions', ['country', 'dimension_index']) }}

),

-- the D* rows of each DR cell (pair x side x metric x country), keyed by an integer cell id
scored_contrasts as (

    select
        dense_rank() over (
            order by pass_contrasts.pair_id, pass_contrasts.side, pass_contrasts.metric, pass_contrasts.country
        ) as cell_id,
        pass_contrasts.*
    from pass_contrasts
    inner join scored_dimensions
        on {{ equi_join('pass_contrasts', 'scored_dimensions', ['pair_id', 'side', 'metric', 'country', 'dimension']) }}

),

cells as (

    select distinct cell_id, pair_id, side, run_id, metric, country, prompt_language
    from scored_contrasts

),

slot_differences as (

    select
        scored_contrasts.cell_id,
        drawn_dimensions.replicate,
        drawn_dimensions.slot,
        scored_contrasts.trial,
        scored_contrasts.deviation_from_global_average,
        abs(
            {{ vsm_score(
                'scored_contrasts.contrast_1', 'scored_contrasts.contrast_2',
                'scored_contrasts.weight_1', 'scored_contrasts.weight_2',
                'scored_contrasts.raw_min', 'scored_contrasts.raw_max',
                'drawn_dimensions.m1', 'drawn_dimensions.m2',
            ) }}
            - scored_contrasts.ground_truth
        ) as difference
    from scored_contrasts
    inner join drawn_dimensions
        on {{ equi_join('scored_contrasts', 'drawn_dimensions', ['country', 'dimension']) }}

),

-- every scored slot has every pass, so means over (slot, pass) rows are the means of Eq. 1
-- (summed in a fixed order: bit-identical on every rebuild)
means as (

    select
        cell_id,
        replicate,
        {{ deviation_ratio_means('deviation_from_global_average', 'difference', 'slot, trial') }}
    from slot_differences
    group by cell_id, replicate

),

final as (

    select
        {{ replicate_cell_columns('cells') }},
        means.replicate,
        {{ deviation_ratio('means.deviation_from_global_average', 'means.mean_difference') }} as value
    from means
    inner join cells on means.cell_id = cells.cell_id

)

select * from final
