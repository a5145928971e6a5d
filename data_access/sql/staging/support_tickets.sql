-- Zendesk tickets (deleted ones out) with their agent, group and priority. A ticket without a
-- priority, or with one Zendesk does not ship, is taken as `normal` (Zendesk's default);
-- priority_order sorts urgent → low.
with tickets as (
    select
        id as ticket_id,
        coalesce(nullif(trim(subject), ''), concat('Ticket ', cast(id as string))) as subject,
        case when lower(priority) in ('urgent', 'high', 'normal', 'low') then lower(priority) else 'normal' end
            as priority,
        lower(coalesce(status, 'new')) as status,
        created_at,
        assignee_id,
        group_id,
        organization_id,
        requester_id
    from zendesk.ticket
    where lower(coalesce(status, '')) != 'deleted' and created_at is not null
),

agents as (
    select id as assignee_id, nullif(trim(name), '') as agent_name
    from zendesk.`user`
),

groups as (
    select id as group_id, nullif(trim(name), '') as group_name
    from zendesk.`group`
    where not coalesce(_fivetran_deleted, false)
),

final as (
    select
        t.ticket_id,
        t.subject,
        concat('#', cast(t.ticket_id as string), ' ', t.subject) as ticket_label,
        t.priority,
        case t.priority when 'urgent' then 1 when 'high' then 2 when 'normal' then 3 else 4 end as priority_order,
        t.status,
        t.created_at,
        t.assignee_id,
        coalesce(a.agent_name, 'Unassigned') as agent_name,
        t.group_id,
        coalesce(g.group_name, 'No group') as group_name,
        t.organization_id,
        t.requester_id
    from tickets as t
    left join agents as a on t.assignee_id = a.assignee_id
    left join groups as g on t.group_id = g.group_id
)

select * from final
