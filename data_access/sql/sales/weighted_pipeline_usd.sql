-- weighted_pipeline_usd: Σ amount × stage probability over the open sales-pipeline deals with
-- close date in the as-of quarter (the deals of pipeline_usd). 0 when none is open; NULL when
-- the sales pipeline has no deals at all (no CRM data).
with open_pipeline as (
    select sum(weighted_usd) as weighted_usd, sum(amount_usd) as amount_usd, count(*) as open_deal_count
    from intermediate.open_deals_quarter
),

crm as (
    select count(*) as pipeline_deal_count
    from staging.deals
),

final as (
    select
        if(c.pipeline_deal_count > 0, coalesce(p.weighted_usd, 0), null) as value,
        p.open_deal_count,
        coalesce(p.amount_usd, 0) as pipeline_usd
    from open_pipeline as p
    cross join crm as c
)

select * from final
