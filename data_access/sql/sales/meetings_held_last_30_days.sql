-- meetings_held_last_30_days: HubSpot meetings completed (outcome COMPLETED) in the 30 days ending
-- on @as_of_date (inclusive), beside the meetings booked in the window (held + no-shows). NULL (no
-- data) when no meeting at all is logged in the 365 days ending on @as_of_date.
with meetings as (
    select activity_date, is_response as is_held
    from staging.activities
    where channel = 'meeting'
        and activity_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
),

counts as (
    select
        count(*) as year_count,
        count(if(activity_date >= date_sub(@as_of_date, interval 29 day) and is_held, 1, null)) as held_count,
        count(if(activity_date >= date_sub(@as_of_date, interval 29 day), 1, null)) as booked_count
    from meetings
),

final as (
    select
        if(year_count > 0, held_count, null) as value,
        booked_count
    from counts
)

select * from final
