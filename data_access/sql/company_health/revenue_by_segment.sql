-- revenue_by_segment: year-to-date revenue per customer segment (QuickBooks
-- customer type = industry) and month.
with ytd as (
    select customer_id, cast(date_trunc(transaction_date, month) as date) as month, amount_usd
    from staging.revenue_lines
    where transaction_date between cast(date_trunc(@as_of_date, year) as date) and @as_of_date
),

final as (
    select
        coalesce(c.segment, 'Unclassified') as segment,
        y.month,
        sum(y.amount_usd) as revenue_usd,
        count(distinct y.customer_id) as customer_count
    from ytd as y
    left join staging.customers as c on y.customer_id = c.customer_id
    group by 1, 2
)

select * from final order by month, revenue_usd desc
