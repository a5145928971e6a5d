-- open_tickets: tickets new, open, pending or on hold at the end of @as_of_date (UTC), from
-- the status history (intermediate.ticket_states). NULL when Zendesk holds no ticket at all by
-- then (no Zendesk: no data, not 0).
with open_now as (
    select status_at_as_of as status
    from intermediate.ticket_states
    where status_at_as_of in ('new', 'open', 'pending', 'hold')
),

final as (
    select
        if((select count(*) from intermediate.ticket_states) = 0, null, count(*)) as value,
        count(if(status = 'new', 1, null)) as new_count,
        count(if(status = 'open', 1, null)) as open_count,
        count(if(status = 'pending', 1, null)) as pending_count,
        count(if(status = 'hold', 1, null)) as hold_count
    from open_now
)

select * from final
