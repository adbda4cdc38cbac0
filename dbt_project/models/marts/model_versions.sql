{#-
    One row per model version per discovery source: when it was first and last seen, where,
    and whether it has been probed (a run of the model it is probed as, with that version,
    that completed — `complete`, or `quarantined` after completing: the watch does not probe
    it again).
-#}
with

sightings as (select * from {{ ref('stg_raw__versions') }}),
runs as (select * from {{ ref('runs') }}),

latest_poll_per_location as (

    select location, max(sighted_at) as last_polled_at
    from sightings
    group by location

),

per_version as (

    select
        sightings.model,
        sightings.model_version,
        sightings.source,
        any_value(sightings.probe_model order by sightings.sighted_at desc) as probe_model,
        min(sightings.sighted_at) as first_seen_at,
        max(sightings.sighted_at) as last_seen_at,
        count(*) as n_sightings,
        list(distinct sightings.location order by sightings.location) as locations,
        any_value(sightings.aliases order by sightings.sighted_at desc) as aliases,
        bool_or(sightings.sighted_at = latest_poll_per_location.last_polled_at) as currently_listed
    from sightings
    inner join latest_poll_per_location on sightings.location = latest_poll_per_location.location
    group by sightings.model, sightings.model_version, sightings.source

),

probes as (

    select
        model,
        model_version,
        list(run_id order by started_at) as run_ids,
        min(finished_at) filter (where status in ('complete', 'quarantined')) as first_probed_at,
        count(*) filter (where status in ('complete', 'quarantined')) > 0 as is_probed,
        any_value(status order by started_at desc) as latest_run_status
    from runs
    group by model, model_version

),

joined as (

    select
        per_version.*,
        coalesce(probes.is_probed, false) as is_probed,
        probes.first_probed_at,
        probes.latest_run_status,
        coalesce(probes.run_ids, []) as probe_run_ids
    from per_version
    left join probes
        on per_version.probe_model = probes.model
        and per_version.model_version = probes.model_version

),

final as (

    select
        {{ contract_casts() }}
    from joined

)

select * from final
