-- breached_tickets: tickets solved in the 30 days ending on @as_of_date that missed their first
-- reply or resolution target, with targets and actual business hours and by how much they were
-- over: business minutes over each target (0 for one that was met), over_hours the larger, worst first.
with breached as (
    select *
    from intermediate.ticket_business_times
    where solved_date between date_sub(@as_of_date, interval 29 day) and @as_of_date and not is_sla_met
),

final as (
    select
        ticket_id,
        ticket_label,
        subject,
        priority,
        agent_name,
        group_name,
        solved_date,
        case
            when not is_first_reply_met and not is_resolution_met then 'first reply and resolution'
            when not is_first_reply_met then 'first reply'
            else 'resolution'
        end as breached,
        first_reply_target_minutes / 60 as first_reply_target_hours,
        round(first_reply_business_minutes / 60, 2) as first_reply_hours,
        cast(round(greatest(0, first_reply_business_minutes - first_reply_target_minutes)) as int64)
            as first_reply_over_minutes,
        resolution_target_minutes / 60 as resolution_target_hours,
        round(resolution_business_minutes / 60, 2) as resolution_hours,
        cast(round(greatest(0, resolution_business_minutes - resolution_target_minutes)) as int64)
            as resolution_over_minutes,
        round(greatest(0, first_reply_business_minutes - first_reply_target_minutes,
            resolution_business_minutes - resolution_target_minutes) / 60, 2) as over_hours
    from breached
)

select * from final order by over_hours desc, ticket_id
