-- pipeline_by_close_date: open deals closing in the as-of quarter, per close
-- week (Monday start) and month.
with final as (
    select
        week_start,
        month,
        count(*) as deal_count,
        sum(amount_usd) as amount_usd,
        sum(weighted_usd) as weighted_usd
    from intermediate.open_deals_quarter
    group by 1, 2
)

select * from final order by week_start, month
