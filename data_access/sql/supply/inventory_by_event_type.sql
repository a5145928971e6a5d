-- inventory_by_event_type: live marketplace inventory on @as_of_date per event type and the
-- month each venue first went live: venues, live spaces, capacity (people per activation) and
-- the venues new in the 30 days ending on @as_of_date. Venues with no live space left are out.
with venues as (
    select
        event_type,
        cast(date_trunc(first_onboarded_date, month) as date) as month,
        live_space_count,
        live_capacity,
        first_onboarded_date between date_sub(@as_of_date, interval 29 day) and @as_of_date as is_new
    from intermediate.venue_inventory
    where live_space_count > 0
),

final as (
    select
        event_type,
        month,
        count(*) as venue_count,
        cast(sum(live_space_count) as int64) as space_count,
        cast(sum(live_capacity) as int64) as capacity_count,
        count(if(is_new, 1, null)) as new_venue_count
    from venues
    group by 1, 2
)

select * from final order by event_type, month
