-- The support schedule as UTC intervals, one row per business interval from 735 days before
-- @as_of_date to a week after it: each weekly interval of staging.support_schedule placed on
-- every week (weeks start on Sunday, the schedule's origin), converted from the schedule's local
-- time to UTC with the zone's standard offset plus its daylight offset when daylight time is in
-- force, and dropped on the schedule's holidays (by the interval's local start date).
-- start_s / end_s are UTC epoch seconds. Business seconds between two instants = Σ over intervals
-- of their overlap (set-wise, no loops).
with schedule as (
    select * from staging.support_schedule
),

weeks as (
    -- 1970-01-04 was a Sunday: every week_start is a Sunday
    select week_start
    from unnest(generate_date_array(
        -- div(…) * 7, not 7 * div(…): sqlglot writes DIV as `//`, and 7 * x // 7 is x
        date_add(date '1970-01-04', interval div(date_diff(date_sub(@as_of_date, interval 735 day),
            date '1970-01-04', day), 7) * 7 day),
        date_add(@as_of_date, interval 7 day),
        interval 7 day)) as week_start
),

local_intervals as (
    -- times as UTC epoch seconds (integers: no session time zone anywhere); local = UTC + offset
    select
        s.schedule_id,
        s.time_zone,
        s.standard_offset_minutes,
        date_add(w.week_start, interval div(s.start_minute, 1440) day) as local_date,
        unix_date(w.week_start) * 86400 + (s.start_minute - s.standard_offset_minutes) * 60 as standard_start_s,
        unix_date(w.week_start) * 86400 + (s.end_minute - s.standard_offset_minutes) * 60 as standard_end_s
    from weeks as w
    cross join schedule as s
),

holidays as (
    select schedule_id, start_date, coalesce(end_date, start_date) as end_date
    from staging.support_holidays
),

working as (
    select li.*
    from local_intervals as li
    left join holidays as h
        on li.schedule_id = h.schedule_id
        and li.local_date between h.start_date and h.end_date
    where h.schedule_id is null
),

daylight as (
    select time_zone, unix_seconds(start_at) as start_s, unix_seconds(end_at) as end_s, daylight_offset_minutes
    from staging.support_daylight_time
),

final as (
    -- in daylight time the local clock is ahead: the same local time is daylight_offset earlier in UTC
    select
        w.schedule_id,
        w.local_date,
        w.standard_start_s - coalesce(max(d.daylight_offset_minutes), 0) * 60 as start_s,
        w.standard_end_s - coalesce(max(d.daylight_offset_minutes), 0) * 60 as end_s
    from working as w
    left join daylight as d
        on w.time_zone = d.time_zone and w.standard_start_s >= d.start_s and w.standard_start_s < d.end_s
    group by w.schedule_id, w.local_date, w.standard_start_s, w.standard_end_s
)

select * from final
