-- open_ticket_list: every ticket open at the end of @as_of_date, oldest first, with its age in days.
with final as (
    select
        ticket_id,
        ticket_label,
        subject,
        priority,
        status_at_as_of as status,
        agent_name,
        group_name,
        cast(created_at as date) as created_date,
        date_diff(@as_of_date, cast(created_at as date), day) as age_days
    from intermediate.ticket_states
    where status_at_as_of in ('new', 'open', 'pending', 'hold')
)

select * from final order by age_days desc, ticket_id
