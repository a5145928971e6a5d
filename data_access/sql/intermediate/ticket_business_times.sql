-- Tickets created or solved in the 30 days ending on @as_of_date (UTC dates) with their first
-- reply and resolution times in business minutes of the support schedule, their priority's
-- targets (intermediate.support_sla_targets) and whether each was met (≤ target: a reply at
-- exactly the target minute is met). A ticket solved without any public agent reply counts its
-- solve as its first reply. Business minutes: the overlap of [created, reply or solve] with the
-- schedule's UTC intervals, summed (intermediate.support_business_intervals).
with states as (
    select
        *,
        cast(created_at as date) as created_date,
        cast(solved_at as date) as solved_date,
        coalesce(first_reply_at, if(solved_at is not null, solved_at, null)) as replied_at
    from intermediate.ticket_states
),

recent as (
    select *
    from states
    where created_date >= date_sub(@as_of_date, interval 29 day)
        or solved_date >= date_sub(@as_of_date, interval 29 day)
),

spans as (
    -- UTC epoch seconds, like the intervals
    select ticket_id, 'first_reply' as span, unix_seconds(created_at) as start_s, unix_seconds(replied_at) as end_s
    from recent
    where replied_at is not null
    union all
    select ticket_id, 'resolution' as span, unix_seconds(created_at) as start_s, unix_seconds(solved_at) as end_s
    from recent
    where solved_at is not null
),

business as (
    select
        s.ticket_id,
        s.span,
        sum(least(s.end_s, i.end_s) - greatest(s.start_s, i.start_s)) as business_seconds
    from spans as s
    inner join intermediate.support_business_intervals as i
        on i.start_s < s.end_s and i.end_s > s.start_s
    group by 1, 2
),

times as (
    select
        r.*,
        if(r.replied_at is null, null, coalesce(fr.business_seconds, 0) / 60.0) as first_reply_business_minutes,
        if(r.solved_at is null, null, coalesce(rs.business_seconds, 0) / 60.0) as resolution_business_minutes
    from recent as r
    left join business as fr on r.ticket_id = fr.ticket_id and fr.span = 'first_reply'
    left join business as rs on r.ticket_id = rs.ticket_id and rs.span = 'resolution'
),

final as (
    select
        t.*,
        g.first_reply_target_minutes,
        g.resolution_target_minutes,
        t.first_reply_business_minutes <= g.first_reply_target_minutes as is_first_reply_met,
        t.resolution_business_minutes <= g.resolution_target_minutes as is_resolution_met,
        t.first_reply_business_minutes <= g.first_reply_target_minutes
            and t.resolution_business_minutes <= g.resolution_target_minutes as is_sla_met
    from times as t
    inner join intermediate.support_sla_targets as g on t.priority = g.priority
)

select * from final
