-- meetings_next_7_days: supply meetings (HubSpot meetings on a supply-pipeline deal; cancelled
-- and rescheduled ones left out) scheduled in the 7 days after @as_of_date. NULL when the
-- supply pipeline has no deals at all (no CRM data).
with crm as (
    select count(*) as supply_deal_count
    from staging.supply_deals
),

meetings as (
    select
        count(if(period = 'next 7 days', 1, null)) as next_7_count,
        count(if(period = 'last 7 days', 1, null)) as last_7_count
    from intermediate.supply_meetings
),

final as (
    select
        if(c.supply_deal_count > 0, m.next_7_count, null) as value,
        m.last_7_count
    from crm as c
    cross join meetings as m
)

select * from final
