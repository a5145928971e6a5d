-- pipeline_coverage: open pipeline closing this quarter ÷ revenue still needed
-- this quarter = open amount (close date in the as-of quarter) ÷
-- (@quarter_revenue_target_usd − revenue booked quarter-to-date).
-- value is NULL when the target is already met (nothing left to cover) or when
-- the sales pipeline has no deals at all (no CRM data, not an empty pipeline).
with open_pipeline as (
    select sum(amount_usd) as open_pipeline_usd, count(*) as open_deal_count
    from intermediate.open_deals_quarter
),

crm as (
    select count(*) as pipeline_deal_count
    from staging.deals
),

booked as (
    select sum(r.amount_usd) as revenue_qtd_usd
    from staging.revenue_lines as r
    cross join intermediate.periods as q
    where r.transaction_date between q.quarter_start and @as_of_date
),

final as (
    select
        if(c.pipeline_deal_count > 0 and @quarter_revenue_target_usd - coalesce(b.revenue_qtd_usd, 0) > 0,
            coalesce(p.open_pipeline_usd, 0) / (@quarter_revenue_target_usd - coalesce(b.revenue_qtd_usd, 0)),
            null) as value,
        coalesce(p.open_pipeline_usd, 0) as open_pipeline_usd,
        p.open_deal_count,
        @quarter_revenue_target_usd as quarter_target_usd,
        coalesce(b.revenue_qtd_usd, 0) as revenue_qtd_usd,
        @quarter_revenue_target_usd - coalesce(b.revenue_qtd_usd, 0) as remaining_target_usd
    from open_pipeline as p
    cross join booked as b
    cross join crm as c
)

select * from final
