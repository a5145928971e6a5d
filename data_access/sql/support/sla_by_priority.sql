-- sla_by_priority: tickets solved in the 30 days ending on @as_of_date by priority (every
-- priority listed, 0 when none): met and breached counts, compliance, median first reply (business
-- minutes) and resolution (business hours) beside their targets.
with solved as (
    select *
    from intermediate.ticket_business_times
    where solved_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

medians as (
    select
        priority,
        percentile_cont(first_reply_business_minutes, 0.5) over (partition by priority) as median_first_reply_minutes,
        percentile_cont(resolution_business_minutes, 0.5) over (partition by priority) as median_resolution_minutes
    from solved
),

median_by_priority as (
    select priority, max(median_first_reply_minutes) as median_first_reply_minutes,
        max(median_resolution_minutes) as median_resolution_minutes
    from medians
    group by 1
),

counts as (
    select
        priority,
        count(*) as solved_count,
        count(if(is_sla_met, 1, null)) as met_count,
        count(if(not is_sla_met, 1, null)) as breached_count
    from solved
    group by 1
),

final as (
    select
        g.priority,
        g.priority_order,
        coalesce(c.solved_count, 0) as solved_count,
        coalesce(c.met_count, 0) as met_count,
        coalesce(c.breached_count, 0) as breached_count,
        safe_divide(c.met_count, c.solved_count) as compliance_rate,
        -- first replies in minutes (urgent targets are an hour), resolutions in hours
        round(m.median_first_reply_minutes, 1) as median_first_reply_minutes,
        g.first_reply_target_minutes,
        round(m.median_resolution_minutes / 60, 2) as median_resolution_hours,
        g.resolution_target_minutes / 60 as resolution_target_hours
    from intermediate.support_sla_targets as g
    left join counts as c on g.priority = c.priority
    left join median_by_priority as m on g.priority = m.priority
)

select * from final order by priority_order
