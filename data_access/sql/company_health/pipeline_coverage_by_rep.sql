-- pipeline_coverage_by_rep: per rep, the open pipeline closing in the as-of quarter
-- (intermediate.open_deals_quarter, as in pipeline_coverage) and what the rep has already won this
-- quarter (closed-won deals with close date in [quarter start, @as_of_date]). Coverage against each
-- rep's quarterly quota (revenue_plan.rep_quotas in the targets file) is computed on read:
-- open_pipeline_usd ÷ (quota − won_qtd_usd). Deals without an owner are the rep "Unassigned".
with open_by_rep as (
    select
        coalesce(owner_id, -1) as owner_key,
        any_value(owner_id) as owner_id,
        any_value(owner_name) as owner_name,
        sum(amount_usd) as open_pipeline_usd,
        count(*) as open_deal_count
    from intermediate.open_deals_quarter
    group by 1
),

won_by_rep as (
    select
        coalesce(d.owner_id, -1) as owner_key,
        any_value(d.owner_id) as owner_id,
        any_value(d.owner_name) as owner_name,
        sum(d.amount_usd) as won_qtd_usd
    from staging.deals as d
    cross join intermediate.periods as q
    where d.is_won and d.close_date between q.quarter_start and @as_of_date
    group by 1
),

final as (
    select
        coalesce(o.owner_id, w.owner_id) as owner_id,
        coalesce(o.owner_name, w.owner_name) as owner_name,
        coalesce(o.open_pipeline_usd, 0) as open_pipeline_usd,
        coalesce(o.open_deal_count, 0) as open_deal_count,
        coalesce(w.won_qtd_usd, 0) as won_qtd_usd
    from open_by_rep as o
    full outer join won_by_rep as w on o.owner_key = w.owner_key
)

select * from final order by open_pipeline_usd desc, owner_name
