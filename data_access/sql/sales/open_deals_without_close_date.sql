-- open_deals_without_close_date: how many open sales-pipeline deals have no close date
-- (intermediate.open_deals_undated), with their amount. 0 when every open deal has one; NULL when
-- the sales pipeline has no deals at all (no CRM data).
with undated as (
    select count(*) as deal_count, sum(amount_usd) as amount_usd, sum(weighted_usd) as weighted_usd
    from intermediate.open_deals_undated
),

crm as (
    select count(*) as pipeline_deal_count
    from staging.deals
),

final as (
    select
        if(c.pipeline_deal_count > 0, u.deal_count, null) as value,
        coalesce(u.amount_usd, 0) as amount_usd,
        coalesce(u.weighted_usd, 0) as weighted_usd
    from undated as u
    cross join crm as c
)

select * from final
