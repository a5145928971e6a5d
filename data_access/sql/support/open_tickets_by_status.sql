-- open_tickets_by_status: the open tickets at the end of @as_of_date by status and priority.
with open_now as (
    select status_at_as_of as status, priority, priority_order
    from intermediate.ticket_states
    where status_at_as_of in ('new', 'open', 'pending', 'hold')
),

final as (
    select
        status,
        case status when 'new' then 1 when 'open' then 2 when 'pending' then 3 else 4 end as status_order,
        priority,
        priority_order,
        count(*) as ticket_count
    from open_now
    group by 1, 2, 3, 4
)

select * from final order by status_order, priority_order
