-- pipeline_usd: open pipeline = Σ amount of the open sales-pipeline deals with close date in
-- the as-of quarter (intermediate.open_deals_quarter, the numerator of pipeline_coverage).
-- 0 when none is open; NULL when the sales pipeline has no deals at all (no CRM data).
with open_pipeline as (
    select sum(amount_usd) as amount_usd, sum(weighted_usd) as weighted_usd, count(*) as open_deal_count
    from intermediate.open_deals_quarter
),

crm as (
    select count(*) as pipeline_deal_count
    from staging.deals
),

final as (
    select
        if(c.pipeline_deal_count > 0, coalesce(p.amount_usd, 0), null) as value,
        p.open_deal_count,
        coalesce(p.weighted_usd, 0) as weighted_usd
    from open_pipeline as p
    cross join crm as c
)

select * from final
