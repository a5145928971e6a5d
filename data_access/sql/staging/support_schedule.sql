-- The support schedule's weekly business intervals (Zendesk schedule: minutes from Sunday 00:00
-- in the schedule's time zone) with that zone's standard UTC offset in minutes: from the
-- zendesk time_zone table (e.g. "-05:00"), else what the schedule's own UTC columns imply.
-- Pulse measures SLAs on one schedule: the lowest id not deleted. Without any schedule, business
-- hours are calendar hours (one 24×7 interval in UTC), as Zendesk measures SLAs without one.
with schedules as (
    select id as schedule_id, name as schedule_name, time_zone, start_time, end_time, start_time_utc
    from zendesk.schedule
    where not coalesce(_fivetran_deleted, false) and start_time is not null and end_time > start_time
),

support_schedule as (
    select min(schedule_id) as schedule_id
    from schedules
),

zones as (
    select
        time_zone,
        if(substr(standard_offset, 1, 1) = '-', -1, 1)
            * (cast(substr(standard_offset, 2, 2) as int64) * 60 + cast(substr(standard_offset, 5, 2) as int64))
            as standard_offset_minutes
    from zendesk.time_zone
    where regexp_contains(standard_offset, r'^[+-][0-9]{2}:[0-9]{2}')
    qualify row_number() over (partition by time_zone order by _fivetran_synced desc) = 1
),

scheduled as (
    select
        s.schedule_id,
        s.schedule_name,
        s.time_zone,
        s.start_time as start_minute,
        s.end_time as end_minute,
        coalesce(z.standard_offset_minutes, s.start_time - s.start_time_utc, 0) as standard_offset_minutes
    from schedules as s
    inner join support_schedule as p on s.schedule_id = p.schedule_id
    left join zones as z on s.time_zone = z.time_zone
),

final as (
    select * from scheduled
    union all
    select cast(null as int64), 'Calendar hours (no schedule)', cast(null as string), 0, 10080, 0
    from (select count(*) as n from scheduled) as c
    where c.n = 0
)

select * from final
