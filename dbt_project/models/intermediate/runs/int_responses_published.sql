{#-
    The raw answers the marts are built from: stg_raw__responses without the runs whose latest
    data-quality verdict is `quarantined` (int_run_quality_status). A run with no verdict yet is
    included (the marts checkpoint has to see it); `validated` and `released` runs are included.
    Every intermediate model that feeds a mart analysts or alerts read selects from here, so the
    quarantine is applied once. The `runs` mart reads stg_raw__responses (it lists every run,
    quarantined ones with their status).
-#}
with

responses as (select * from {{ ref('stg_raw__responses') }}),
quarantined as (select run_id from {{ ref('int_run_quality_status') }} where is_quarantined),

final as (

    select responses.*
    from responses
    where responses.run_id not in (select run_id from quarantined)

)

select * from final
