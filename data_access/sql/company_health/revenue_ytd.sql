-- revenue_ytd: revenue (staging.revenue_lines) on invoices dated Jan 1 … @as_of_date
-- of the as-of year. value is NULL when there is no invoice line in the window.
with ytd as (
    select r.amount_usd, r.invoice_id, r.customer_id
    from staging.revenue_lines as r
    cross join intermediate.periods as p
    where r.transaction_date between p.year_start and @as_of_date
),

final as (
    select
        sum(amount_usd) as value,
        count(distinct invoice_id) as invoice_count,
        count(distinct customer_id) as customer_count
    from ytd
)

select * from final
