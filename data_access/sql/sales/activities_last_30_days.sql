-- activities_last_30_days: calls made, emails sent and meetings booked (held or no-show; not
-- cancelled or rescheduled) by the reps in the 30 days ending on @as_of_date (inclusive). NULL
-- (no data) when no activity at all is logged in the 365 days ending on @as_of_date: HubSpot
-- activity logging is not in use, and 0 would mislead.
with activities as (
    select channel, activity_date
    from staging.activities
    where activity_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
),

counts as (
    select
        count(*) as year_count,
        count(if(activity_date >= date_sub(@as_of_date, interval 29 day), 1, null)) as activity_count,
        count(if(activity_date >= date_sub(@as_of_date, interval 29 day) and channel = 'call', 1, null)) as call_count,
        count(if(activity_date >= date_sub(@as_of_date, interval 29 day) and channel = 'email', 1, null)) as email_count,
        count(if(activity_date >= date_sub(@as_of_date, interval 29 day) and channel = 'meeting', 1, null)) as meeting_count
    from activities
),

final as (
    select
        if(year_count > 0, activity_count, null) as value,
        call_count,
        email_count,
        meeting_count
    from counts
)

select * from final
