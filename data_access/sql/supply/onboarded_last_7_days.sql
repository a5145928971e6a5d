-- onboarded_last_7_days: venues onboarded (supply deal closed won, by its close date) in the 7
-- days ending on @as_of_date. NULL when the supply pipeline has no deals at all (no CRM data).
with crm as (
    select count(*) as supply_deal_count
    from staging.supply_deals
),

onboarded as (
    select
        count(if(close_date between date_sub(@as_of_date, interval 6 day) and @as_of_date, 1, null)) as last_7_count,
        count(if(close_date between date_sub(@as_of_date, interval 13 day)
            and date_sub(@as_of_date, interval 7 day), 1, null)) as prior_7_count
    from staging.supply_deals
    where is_won
),

final as (
    select
        if(c.supply_deal_count > 0, o.last_7_count, null) as value,
        o.prior_7_count
    from crm as c
    cross join onboarded as o
)

select * from final
