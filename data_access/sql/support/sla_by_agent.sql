-- sla_by_agent: tickets solved in the 30 days ending on @as_of_date by group and agent (the
-- ticket's assignee): solved, met, breached and compliance.
with solved as (
    select group_name, agent_name, is_sla_met
    from intermediate.ticket_business_times
    where solved_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

final as (
    select
        group_name,
        agent_name,
        count(*) as solved_count,
        count(if(is_sla_met, 1, null)) as met_count,
        count(if(not is_sla_met, 1, null)) as breached_count,
        safe_divide(count(if(is_sla_met, 1, null)), count(*)) as compliance_rate
    from solved
    group by 1, 2
)

select * from final order by compliance_rate, solved_count desc, agent_name, group_name
