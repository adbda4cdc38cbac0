{#-
    One row per model version per discovery source: when it was first and last seen, where,
    and whether it has been probed (a run of the model it is probed as, with that version,
    that completed — `complete`, or `quarantined` after completing: the watch does not probe
    it again).
-#}
with

sightings as (

    select * from {{ ref('stg_raw__versions') }}

),

runs as (

    select * from {{ ref('runs') }}

),

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

final as (

    select
        cast(per_version.model as varchar) as model,
        cast(per_version.model_version as varchar) as model_version,
        cast(per_version.source as varchar) as source,
        cast(per_version.probe_model as varchar) as probe_model,
        cast(per_version.first_seen_at as timestamptz) as first_seen_at,
        cast(per_version.last_seen_at as timestamptz) as last_seen_at,
        cast(per_version.n_sightings as bigint) as n_sightings,
        cast(per_version.locations as varchar[]) as locations,
        cast(per_version.aliases as varchar[]) as aliases,
        cast(per_version.currently_listed as boolean) as currently_listed,
        cast(coalesce(probes.is_probed, false) as boolean) as is_probed,
        cast(probes.first_probed_at as timestamptz) as first_probed_at,
        cast(probes.latest_run_status as varchar) as latest_run_status,
        cast(coalesce(probes.run_ids, []) as varchar[]) as probe_run_ids
    from per_version
    left join probes
        on per_version.probe_model = probes.model
        and per_version.model_version = probes.model_version

)

select * from final
