{#-
    The skeleton the int_regression_*_replicates models share (see regression_settings.sql for
    the knobs and the draw macros).

    regression_pair_runs(instrument): the CTEs `metrics` (the instrument's rows of the seed
    regression_thresholds), `pairs` (its comparable version pairs) and `pair_runs` (each pair's
    two runs, side `before` = the previous version's run, `after` = the version's).

    in_pair_runs_of_metric(relation, instrument): the joins that keep the rows of `relation` in a
    run of a pair (its columns pair_id, side, run_id come from `pair_runs`) and in the slice of
    one of the instrument's metrics (macro in_metric_slice).

    pair_run_columns(): the columns a row gets from `in_pair_runs_of_metric`: the pair, its side,
    the run and the metric.

    replicate_cell_columns(relation): `relation`'s columns that key one replicated cell, the rows
    of every int_regression_*_replicates model: pair_id, side, run_id, metric, country,
    prompt_language (then replicate and value).

    bootstrap_population(items): the resampled population of each unit (pair x country): the
    distinct items of `items` (a relation with pair_id, country, item_id), numbered item_index
    1..n_items in item order, and the unit's integer id unit_id (the heavy steps key on integers).

    bootstrap_item_multiplicities(population, unit_key, label): the CTEs `hashed_blocks`, `draws`
    and `multiplicities` of a one-stage paired bootstrap. `population` numbers the items of each
    resampled unit (columns unit_key..., item_index 1..n_items, n_items); `label` is the SQL of
    the draw label over its columns. Replicate 0 draws every item once (the point estimate);
    replicate b = 1..B draws n_items items with replacement, two per MD5 (bootstrap_block_hash),
    the same for every unit with the same label and n_items. `multiplicities` has one row per
    unit x replicate x drawn item_index with how often it was drawn, so a replicate's metric is
    its point-estimate formula with every item weighted by its multiplicity.
-#}
{% macro regression_pair_runs(instrument) -%}
metrics as (select * from {{ ref('regression_thresholds') }} where instrument = '{{ instrument }}'),

pairs as (

    select * from {{ ref('int_regression_version_pairs') }}
    where is_comparable
        and instrument = '{{ instrument }}'

),

pair_runs as (

    select pair_id, 'before' as side, previous_run_id as run_id from pairs
    union all
    select pair_id, 'after' as side, run_id from pairs

)
{%- endmacro %}

{% macro in_pair_runs_of_metric(relation, instrument) -%}
    inner join pair_runs on {{ relation }}.run_id = pair_runs.run_id
    {{ in_metric_slice(relation, instrument) }}
{%- endmacro %}

{% macro pair_run_columns() -%}
    pair_runs.pair_id,
        pair_runs.side,
        pair_runs.run_id,
        metrics.metric
{%- endmacro %}

{% macro replicate_cell_columns(relation) -%}
    {%- for column in ['pair_id', 'side', 'run_id', 'metric', 'country', 'prompt_language'] -%}
        {{ relation }}.{{ column }}{% if not loop.last %},
        {% endif %}
    {%- endfor %}
{%- endmacro %}

{% macro bootstrap_population(items) -%}
    select
        pair_id,
        country,
        item_id,
        dense_rank() over (order by pair_id, country) as unit_id,
        row_number() over (partition by pair_id, country order by item_id) as item_index,
        count(*) over (partition by pair_id, country) as n_items
    from (select distinct pair_id, country, item_id from {{ items }})
{%- endmacro %}

{% macro bootstrap_item_multiplicities(population, unit_key, label) -%}
{%- set replicates = regression_setting('regression_bootstrap_replicates') | int -%}
{%- set seed = regression_setting('regression_bootstrap_seed') | int -%}
{%- set key = unit_key | join(', ') -%}
-- replicates 1..B: n_items draws each, two per MD5 (macro bootstrap_block_hash)
hashed_blocks as (

    select
        {{ key }},
        n_items,
        replicate,
        block,
        {{ bootstrap_block_hash(seed, 'label', 'replicate', 'block') }} as block_hash
    from (select distinct {{ key }}, {{ label }} as label, n_items from {{ population }}),
        range(1, {{ replicates + 1 }}) as replicates(replicate),
        unnest(range((n_items + 1) // 2)) as blocks(block)

),

draws as (

    select {{ key }}, 0 as replicate, item_index
    from {{ population }}

    {%- if replicates > 0 %}

    union all

    select
        {{ key }},
        replicate,
        {{ bootstrap_block_draw('block_hash', 'half', 'n_items') }} as item_index
    from hashed_blocks,
        range(2) as halves(half)
    where 2 * block + half < n_items
    {%- endif %}

),

multiplicities as (

    select {{ key }}, replicate, item_index, count(*) as multiplicity
    from draws
    group by {{ key }}, replicate, item_index

)
{%- endmacro %}
