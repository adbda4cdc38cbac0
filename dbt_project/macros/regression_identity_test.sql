{#-
    Data test of the int_regression_*_replicates models: replicate 0 (every item once) must
    reproduce the mart value alignment_history carries for the same run, metric, country and
    prompt language (within `tolerance`, both null counts as equal). Guards the bootstrap's
    recomputation of each metric against drift from the marts' own definitions.
-#}
{% test reproduces_alignment_history(model, tolerance=1e-9) %}

with

identity as (

    select * from {{ model }}
    where replicate = 0

),

history as (select * from {{ ref('alignment_history') }} where scope = 'country')

select
    identity.run_id,
    identity.metric,
    identity.country,
    identity.prompt_language,
    identity.value as recomputed,
    history.value as in_history
from identity
left join history
    on {{ equi_join('identity', 'history', ['run_id', 'metric', 'country', 'prompt_language']) }}
where history.run_id is null
    or (identity.value is null) <> (history.value is null)
    or abs(identity.value - history.value) > {{ tolerance }}

{% endtest %}
