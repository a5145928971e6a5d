-- meetings_last_7_days: supply meetings (HubSpot meetings on a supply-pipeline deal; cancelled
-- and rescheduled ones left out) dated in the 7 days ending on @as_of_date. NULL when the
-- supply pipeline has no deals at all (no CRM data).
with crm as (
    select count(*) as supply_deal_count
    from staging.supply_deals
),

meetings as (
    select
        count(if(period = 'last 7 days', 1, null)) as last_7_count,
        count(if(period = 'next 7 days', 1, null)) as next_7_count
    from intermediate.supply_meetings
),

final as (
    select
        if(c.supply_deal_count > 0, m.last_7_count, null) as value,
        m.next_7_count
    from crm as c
    cross join meetings as m
)

select * from final
