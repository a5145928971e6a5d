-- open_deals_undated: open sales-pipeline deals with no close date, one row per deal, in the
-- columns of intermediate.open_deals_quarter (close date, month and week NULL). They cannot
-- count toward a quarter's pipeline; Open Deals lists them and Open Deals Without Close Date
-- counts them.
with final as (
    select
        d.deal_id,
        d.deal_name,
        d.company_name,
        d.owner_id,
        d.owner_name,
        d.stage_label,
        d.stage_order,
        d.probability,
        d.amount_usd,
        d.amount_usd * d.probability as weighted_usd,
        d.close_date,
        cast(null as date) as month,
        cast(null as date) as week_start,
        date_diff(@as_of_date, d.created_date, day) as age_days
    from staging.deals as d
    where not d.is_closed and d.close_date is null
)

select * from final order by amount_usd desc, deal_id
