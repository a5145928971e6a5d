-- open_deals: open sales-pipeline deals with close date in the as-of quarter
-- (the numerator of pipeline_coverage), one row per deal.
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
        cast(date_trunc(d.close_date, month) as date) as month,
        -- Monday of the close week (portable: DATE_TRUNC(…, WEEK(MONDAY)) mistranslates)
        cast(date_add(date '2000-01-03', interval (div(date_diff(d.close_date, date '2000-01-03', day), 7) * 7) day)
            as date) as week_start,
        date_diff(@as_of_date, d.created_date, day) as age_days
    from staging.deals as d
    cross join intermediate.periods as q
    where not d.is_closed and d.close_date between q.quarter_start and q.quarter_end
)

select * from final order by amount_usd desc, deal_id
