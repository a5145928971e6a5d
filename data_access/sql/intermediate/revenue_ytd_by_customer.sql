-- Year-to-date revenue per customer and month, with the customer's name and segment.
with ytd as (
    select r.customer_id, cast(date_trunc(r.transaction_date, month) as date) as month, r.amount_usd
    from staging.revenue_lines as r
    cross join intermediate.periods as p
    where r.transaction_date between p.year_start and @as_of_date
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

select * from final
