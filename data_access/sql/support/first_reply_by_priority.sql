-- first_reply_by_priority: tickets created in the 30 days ending on @as_of_date by priority:
-- created, replied, median first reply (business hours) and the priority's first reply target.
with created as (
    select priority, first_reply_business_minutes
    from intermediate.ticket_business_times
    where created_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

medians as (
    select priority, percentile_cont(first_reply_business_minutes, 0.5) over (partition by priority) as median_minutes
    from created
    where first_reply_business_minutes is not null
),

median_by_priority as (
    select priority, max(median_minutes) as median_minutes
    from medians
    group by 1
),

counts as (
    select priority, count(*) as created_count, count(first_reply_business_minutes) as replied_count
    from created
    group by 1
),

final as (
    select
        g.priority,
        g.priority_order,
        coalesce(c.created_count, 0) as created_count,
        coalesce(c.replied_count, 0) as replied_count,
        round(m.median_minutes, 1) as median_first_reply_minutes,
        round(m.median_minutes / 60, 2) as median_first_reply_hours,
        g.first_reply_target_minutes / 60 as first_reply_target_hours
    from intermediate.support_sla_targets as g
    left join counts as c on g.priority = c.priority
    left join median_by_priority as m on g.priority = m.priority
)

select * from final order by priority_order
