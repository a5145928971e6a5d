-- Every ticket created by the end of @as_of_date (UTC) with its state then, from the status
-- history up to that moment: status_at_as_of (the last status change; a ticket without status
-- history keeps its current status), first_reply_at (the first public comment by an agent or
-- admin after creation; private notes and end-users' comments are not replies) and solved_at
-- (its LAST change to solved, when it is solved or closed at the end of the day: a reopened
-- ticket counts to its last solve; one reopened and still open is not solved).
with tickets as (
    select *
    from staging.support_tickets
    where cast(created_at as date) <= @as_of_date
),

status_changes as (
    select c.ticket_id, c.changed_at, c.value as status
    from staging.ticket_field_changes as c
    where c.field_name = 'status' and cast(c.changed_at as date) <= @as_of_date
),

last_status as (
    select ticket_id, status
    from status_changes
    qualify row_number() over (partition by ticket_id order by changed_at desc, status) = 1
),

last_solves as (
    select ticket_id, max(changed_at) as solved_at
    from status_changes
    where status = 'solved'
    group by 1
),

replies as (
    select c.ticket_id, min(c.created_at) as first_reply_at
    from staging.ticket_comments as c
    inner join tickets as t on c.ticket_id = t.ticket_id
    where c.is_public and c.author_role in ('agent', 'admin')
        and c.created_at > t.created_at and cast(c.created_at as date) <= @as_of_date
    group by 1
),

final as (
    select
        t.*,
        coalesce(s.status, t.status) as status_at_as_of,
        r.first_reply_at,
        if(coalesce(s.status, t.status) in ('solved', 'closed'), ls.solved_at, null) as solved_at
    from tickets as t
    left join last_status as s on t.ticket_id = s.ticket_id
    left join last_solves as ls on t.ticket_id = ls.ticket_id
    left join replies as r on t.ticket_id = r.ticket_id
)

select * from final
