-- Supply meetings around @as_of_date: HubSpot meetings (staging.meetings; cancelled and
-- rescheduled ones left out) associated with a supply-pipeline deal, dated (UTC) in the 7
-- days ending on @as_of_date ("last 7 days") or the 7 days after it ("next 7 days"). One row
-- per meeting: a meeting on several supply deals counts once, with the lowest deal id's rep.
with linked as (
    select
        m.meeting_id,
        min(m.meeting_date) as meeting_date,
        min(d.deal_id) as deal_id
    from staging.meetings as m
    inner join staging.supply_deals as d on m.deal_id = d.deal_id
    where m.meeting_date between date_sub(@as_of_date, interval 6 day) and date_add(@as_of_date, interval 7 day)
    group by 1
),

final as (
    select
        l.meeting_id,
        l.meeting_date,
        if(l.meeting_date <= @as_of_date, 'last 7 days', 'next 7 days') as period,
        d.deal_id,
        d.venue_name,
        d.owner_id,
        d.owner_name,
        d.stage_label
    from linked as l
    inner join staging.supply_deals as d on l.deal_id = d.deal_id
)

select * from final
