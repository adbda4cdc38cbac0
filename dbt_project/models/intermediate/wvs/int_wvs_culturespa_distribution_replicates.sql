{{ config(materialized='table') }}
{#-
    Distribution similarity's bootstrap replicates 1..B as weight vectors (Bravansky et al.; see
    distribution_similarity.yml and docs/metrics.md, "Distribution similarity: the bootstrap").

    A replicate of answer group G redraws n of G's n valid answers with replacement
    (int_wvs_culturespa_distribution_answers); all that matters of it is its weight vector w,
    how many times it drew each content c. One row per replicate of every group with more
    than one content; a group with one content (one valid answer, or all alike) draws nothing:
    every replicate is its point estimate.

    The draws, reproducible bit for bit from the seed: draw j (0-based) of replicate b is a
    base-n digit of seeded MD5 values. With d = the most base-n digits that fit in 32 bits
    (the largest d with n^d <= 2^32), the 64-bit values are
        h(k) = md5_number_lower(seed | group label | floor(k / 2))  for even k,
               md5_number_upper(seed | group label | floor(k / 2))  for odd k
    (one MD5 serves two values), and when n <= d (n <= 9) value
        v_k = h(k) % n^(n * r),   r = floor(d / n),
    serves r whole replicates: replicate b = k * r + s + 1 (s = 0..r-1) draws the n base-n
    digits of floor(v_k / n^(n * s)) % n^n, draw j being digit j (answer = digit + 1). When
    n > d, replicate b takes ceil(n / d) values v_t = h_b(t) % n^d, h_b as h over the text
    seed | label | b | floor(t / 2), and draw j is base-n digit j % d of v_floor(j / d). Every
    draw is uniform on the n answers up to a modulo bias below 2^-32. The group label
    (persona country, prompt language, style, strategy, variant, question; not the run) gives
    two runs with the same answers the same draws (common random numbers when versions are
    compared).

    weights_key names the weight vector: for n <= 9 the exact integer
    sum_c w_c * (n + 1)^(c - 1) (its base-(n + 1) digits are the weights; below 10^9), the
    same key as int_wvs_culturespa_distribution_weights gives the point estimate; for n > 9
    minus the replicate number (each replicate its own vector), with its weights in
    `chunked_weights`.
-#}
{%- set replicates = wvs_metric_setting('distribution_bootstrap_replicates') | int -%}
{%- set seed = wvs_metric_setting('distribution_bootstrap_seed') | int -%}
{%- set low_half = 'cast(hash >> 64 as ubigint)' -%}
{%- set high_half = 'cast(hash & ' ~ (2 ** 64 - 1) ~ '::uhugeint as ubigint)' -%}

with

answers as (select * from {{ ref('int_wvs_culturespa_distribution_answers') }}),

groups as (

    select distinct group_id, group_label, n_valid as n
    from answers
    where n_contents > 1

),

-- d(n): the most base-n digits in 32 bits
digits_per_value as (

    select n, max(digits) as digits
    from
        (select distinct n from groups),
        range(1, 33) as capacity(digits)
    where pow(n, digits) <= 4294967296
    group by n

),

resampled_groups as (

    select
        groups.*,
        digits_per_value.digits,
        digits_per_value.digits // groups.n as replicates_per_value
    from groups
    inner join digits_per_value on groups.n = digits_per_value.n

),

{%- if replicates > 0 %}

-- n <= d: MD5 k / 2 gives values k (its lower half) and k + 1 (its upper half), each serving
-- r = floor(d / n) whole replicates
packed_hashes as (

    select
        group_id,
        n,
        replicates_per_value,
        hash_index,
        md5_number(concat_ws('|', {{ seed }}, group_label, hash_index)) as hash
    from resampled_groups,
        unnest(range(({{ replicates }} + 2 * replicates_per_value - 1) // (2 * replicates_per_value)))
            as hash_numbers(hash_index)
    where replicates_per_value > 0

),

packed_values as (

    select
        group_id,
        n,
        replicates_per_value,
        hash_index * 2 + half as value_index,
        case when half = 0 then {{ low_half }} else {{ high_half }} end
            % cast(pow(n, n * replicates_per_value) as ubigint) as value
    from packed_hashes
    cross join range(2) as halves(half)

),

-- a replicate's n draws as one number below n^n (its base-n digits)
packed_replicates as materialized (

    select
        group_id,
        n,
        value_index * replicates_per_value + slot + 1 as replicate,
        (value // cast(pow(n, n * slot) as ubigint)) % cast(pow(n, n) as ubigint) as draws
    from packed_values
    cross join range(32) as slots(slot)
    where slot < replicates_per_value
      and value_index * replicates_per_value + slot + 1 <= {{ replicates }}

),

-- each distinct draw sequence of a group (at most n^n) and its key, summed over its draws
packed_sequence_keys as (

    select
        sequences.group_id,
        sequences.draws,
        sum(cast(pow(sequences.n + 1, answers.content_id - 1) as bigint)) as weights_key
    from (select group_id, draws, any_value(n) as n from packed_replicates group by group_id, draws) as sequences
    cross join range(32) as positions(position)
    inner join answers
        on sequences.group_id = answers.group_id
        and answers.answer_index = {{ base_n_digit('sequences.draws', 'sequences.n', 'positions.position') }} + 1
    where positions.position < sequences.n
    group by sequences.group_id, sequences.draws

),

-- n > d: ceil(n / d) values per replicate, d draws each
chunked_values as (

    select
        group_id,
        n,
        digits,
        replicate,
        hash_index * 2 + half as chunk,
        case when half = 0 then {{ low_half }} else {{ high_half }} end % cast(pow(n, digits) as ubigint) as value
    from (
        select
            group_id,
            n,
            digits,
            replicate,
            hash_index,
            md5_number(concat_ws('|', {{ seed }}, group_label, replicate, hash_index)) as hash
        from resampled_groups,
            range(1, {{ replicates + 1 }}) as replicate_numbers(replicate),
            unnest(range((n + 2 * digits - 1) // (2 * digits))) as hash_numbers(hash_index)
        where replicates_per_value = 0
    )
    cross join range(2) as halves(half)
    where (hash_index * 2 + half) * digits < n

),

chunked_replicates as (

    select
        counted.group_id,
        counted.replicate,
        -counted.replicate as weights_key,
        list({'content_id': counted.content_id, 'weight': counted.weight} order by counted.content_id)
            as chunked_weights
    from (
        select chunked_values.group_id, chunked_values.replicate, answers.content_id, count(*) as weight
        from chunked_values
        cross join range(32) as positions(position)
        inner join answers
            on chunked_values.group_id = answers.group_id
            and answers.answer_index
                = {{ base_n_digit('chunked_values.value', 'chunked_values.n', 'positions.position') }} + 1
        where positions.position
            < least(chunked_values.digits, chunked_values.n - chunked_values.chunk * chunked_values.digits)
        group by all
    ) as counted
    group by counted.group_id, counted.replicate

),

final as (

    select
        packed_replicates.group_id,
        cast(packed_replicates.replicate as integer) as replicate,
        packed_sequence_keys.weights_key,
        cast(null as struct(content_id bigint, weight bigint)[]) as chunked_weights
    from packed_replicates
    inner join packed_sequence_keys
        on {{ equi_join('packed_replicates', 'packed_sequence_keys', ['group_id', 'draws']) }}

    union all

    select group_id, cast(replicate as integer), weights_key, chunked_weights
    from chunked_replicates

)

{%- else %}

final as (

    select
        cast(null as bigint) as group_id,
        cast(null as integer) as replicate,
        cast(null as bigint) as weights_key,
        cast(null as struct(content_id bigint, weight bigint)[]) as chunked_weights
    where false

)

{%- endif %}

select * from final
