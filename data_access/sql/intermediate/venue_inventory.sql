-- Marketplace venues as of @as_of_date: one row per venue (HubSpot company) with the date its
-- first space went live (when it became new unique inventory), its event type (of that first
-- space) and, counting only spaces live on @as_of_date (went live on or before it, not taken
-- off by it), its live spaces and their capacity.
with spaces as (
    select
        *,
        onboarded_date <= @as_of_date
            and (offboarded_date is null or offboarded_date > @as_of_date) as is_live
    from staging.inventory
    where onboarded_date <= @as_of_date
),

firsts as (
    select
        venue_company_id,
        venue_name,
        event_type,
        onboarded_date,
        row_number() over (partition by venue_company_id order by onboarded_date, space_id) as rn
    from spaces
),

live as (
    select venue_company_id, count(*) as live_space_count, cast(sum(capacity) as int64) as live_capacity
    from spaces
    where is_live
    group by 1
),

final as (
    select
        f.venue_company_id,
        f.venue_name,
        f.event_type,
        f.onboarded_date as first_onboarded_date,
        coalesce(l.live_space_count, 0) as live_space_count,
        coalesce(l.live_capacity, 0) as live_capacity
    from firsts as f
    left join live as l on f.venue_company_id = l.venue_company_id
    where f.rn = 1
)

select * from final
