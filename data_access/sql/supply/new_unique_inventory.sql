-- new_unique_inventory: venues new to the marketplace in the 30 days ending on @as_of_date:
-- distinct venues whose first space went live in the window (marketplace.inventory; a venue
-- adding a second space is not new). NULL when the inventory table has no rows (no sync).
with venues as (
    select first_onboarded_date, live_space_count
    from intermediate.venue_inventory
),

synced as (
    select count(*) as space_count
    from staging.inventory
),

final as (
    select
        if(s.space_count > 0,
            (select count(*) from venues
             where first_onboarded_date between date_sub(@as_of_date, interval 29 day) and @as_of_date),
            null) as value,
        (select count(*) from venues where live_space_count > 0) as live_venue_count
    from synced as s
)

select * from final
