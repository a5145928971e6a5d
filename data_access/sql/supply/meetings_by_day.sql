-- meetings_by_day: supply meetings per day over the 14 days around @as_of_date (the 7 days
-- ending on it and the 7 after), every day listed (0 when none).
with days as (
    select meeting_date
    from unnest(generate_date_array(date_sub(@as_of_date, interval 6 day), date_add(@as_of_date, interval 7 day),
        interval 1 day)) as meeting_date
),

counts as (
    select meeting_date, count(*) as meeting_count
    from intermediate.supply_meetings
    group by 1
),

final as (
    select
        d.meeting_date,
        if(d.meeting_date <= @as_of_date, 'last 7 days', 'next 7 days') as period,
        coalesce(c.meeting_count, 0) as meeting_count
    from days as d
    left join counts as c on d.meeting_date = c.meeting_date
)

select * from final order by meeting_date
