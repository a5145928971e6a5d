-- revenue_by_customer: year-to-date revenue per customer and month (the
-- drill-down sums months and ranks customers, so a month filter re-ranks).
with ytd as (
    select customer_id, cast(date_trunc(transaction_date, month) as date) as month, amount_usd
    from staging.revenue_lines
    where transaction_date between cast(date_trunc(@as_of_date, year) as date) and @as_of_date
),

final as (
    select
        y.customer_id,
        coalesce(c.customer_name, concat('Customer ', cast(y.customer_id as string))) as customer_name,
        coalesce(c.segment, 'Unclassified') as segment,
        y.month,
        sum(y.amount_usd) as revenue_usd
    from ytd as y
    left join staging.customers as c on y.customer_id = c.customer_id
    group by 1, 2, 3, 4
)

select * from final order by month, revenue_usd desc
