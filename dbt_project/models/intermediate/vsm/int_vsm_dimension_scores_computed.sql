{#-
    VSM 2013 dimension scores per questionnaire pass, in long form (one row per dimension).
    Weights and items come from the seed vsm2013_formulas. An item answer counts when
    parse_status = 'ok' and answer is not null; a dimension with any of its items missing
    or not counted is NULL (raw_score and score).

    Incremental by run (macro runs_to_process): a build reads and scores only the runs whose
    raw files changed (or whose stored normalisation differs from var vsm_normalisation),
    then replaces those runs' rows (delete+insert on run_id). Reads int_responses_published:
    a run quarantined by a data-quality verdict leaves the upstream set and its rows are
    deleted (post-hook); released, it comes back as a new run.

    Every pass gets a row per dimension, also when none of the dimension's items was
    answered: a scaffold row (passes × dimensions) is added to the answered terms and both
    are aggregated by (pass, dimension), which needs no null-safe join on the 11-column key.
-#}
{{ incremental_by_run_config("vsm_run_fingerprints()", on_schema_change='sync_all_columns') }}
{%- set key = vsm_trial_key() -%}
{%- set runs = runs_to_process(
        vsm_run_fingerprints(),
        ["normalisation = '" ~ var('vsm_normalisation') ~ "'"],
    ) -%}

with

responses as (

    select * from {{ ref('int_responses_published') }}
    where instrument = 'vsm2013'
      and {{ run_id_filter(runs) }}

),

formulas as (select * from {{ ref('vsm2013_formulas') }}),

source_files as (

    {{ vsm_run_fingerprints() }}

),

-- the formula's four items: contrast k = plus item - minus item, raw index
-- w1 * contrast 1 + w2 * contrast 2 (macro vsm_raw_index)
formula_terms as (

    select dimension, 1 as pair_index, plus_item_1 as item_id, 1 as sign, weight_1 as signed_weight from formulas
    union all
    select dimension, 1 as pair_index, minus_item_1 as item_id, -1 as sign, -weight_1 as signed_weight from formulas
    union all
    select dimension, 2 as pair_index, plus_item_2 as item_id, 1 as sign, weight_2 as signed_weight from formulas
    union all
    select dimension, 2 as pair_index, minus_item_2 as item_id, -1 as sign, -weight_2 as signed_weight from formulas

),

-- raw_min/raw_max: the raw index at the extreme answers of the scale (each term at its
-- smaller/larger end): for w1*(a - b) + w2*(c - d) on 1..5, -(w1 + w2)*4 and +(w1 + w2)*4
terms as (

    select
        dimension,
        pair_index,
        item_id,
        sign,
        signed_weight,
        sum(least(
            signed_weight * {{ var('vsm_scale_min') }},
            signed_weight * {{ var('vsm_scale_max') }}
        )) over (partition by dimension) as raw_min,
        sum(greatest(
            signed_weight * {{ var('vsm_scale_min') }},
            signed_weight * {{ var('vsm_scale_max') }}
        )) over (partition by dimension) as raw_max,
        count(*) over (partition by dimension) as n_terms
    from formula_terms

),

dimensions as (

    select distinct terms.dimension, terms.raw_min, terms.raw_max, terms.n_terms, formulas.weight_1, formulas.weight_2
    from terms
    inner join formulas on terms.dimension = formulas.dimension

),

-- every questionnaire pass that has at least one response row, whatever its status
passes as (

    select
        {{ key | join(',\n        ') }},
        count(distinct item_id) filter (
            where parse_status = 'ok'
              and answer is not null
              and item_id in (select item_id from terms)
        ) as n_valid
    from responses
    group by {{ key | join(', ') }}

),

-- one row per counted answer of an item a formula uses
counted_terms as (

    select
        {{ qualified('responses', key) }},
        terms.dimension,
        terms.pair_index,
        terms.sign * responses.answer as term_value,
        cast(null as bigint) as n_valid
    from responses
    inner join terms on responses.item_id = terms.item_id
    where responses.parse_status = 'ok'
      and responses.answer is not null

),

-- one row per pass × dimension, so that a dimension without any counted answer is kept
scaffold as (

    select
        {{ qualified('passes', key) }},
        dimensions.dimension,
        cast(null as double) as term_value,
        passes.n_valid
    from passes
    cross join dimensions

),

aggregated as (

    select
        {{ key | join(',\n        ') }},
        dimension,
        max(n_valid) as n_valid,
        count(term_value) as n_items_used,
        sum(term_value) filter (where pair_index = 1) as contrast_1,
        sum(term_value) filter (where pair_index = 2) as contrast_2
    from (
        select * from counted_terms
        union all by name
        select * from scaffold
    )
    group by {{ key | join(', ') }}, dimension

),

scored as (

    select
        {{ qualified('aggregated', key) }},
        aggregated.dimension,
        case when aggregated.n_items_used = dimensions.n_terms then aggregated.contrast_1 end as contrast_1,
        case when aggregated.n_items_used = dimensions.n_terms then aggregated.contrast_2 end as contrast_2,
        dimensions.weight_1,
        dimensions.weight_2,
        dimensions.raw_min,
        dimensions.raw_max,
        case
            when aggregated.n_items_used = dimensions.n_terms
                then {{ vsm_raw_index('aggregated.contrast_1', 'aggregated.contrast_2', 'dimensions.weight_1', 'dimensions.weight_2') }}
        end as raw_score,
        case
            when aggregated.n_items_used = dimensions.n_terms
                then {{ vsm_score(
                    'aggregated.contrast_1', 'aggregated.contrast_2', 'dimensions.weight_1', 'dimensions.weight_2',
                    'dimensions.raw_min', 'dimensions.raw_max',
                ) }}
        end as score,
        '{{ var("vsm_normalisation") }}' as normalisation,
        aggregated.n_items_used,
        dimensions.n_terms as n_items_required,
        aggregated.n_valid,
        (select count(distinct item_id) from terms) as n_items_expected,
        source_files.run_source_files
    from aggregated
    inner join dimensions on aggregated.dimension = dimensions.dimension
    left join source_files on aggregated.run_id = source_files.run_id

)

select * from scored
