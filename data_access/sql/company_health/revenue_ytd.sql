-- revenue_ytd: revenue (staging.revenue_lines) on invoices dated Jan 1 … @as_of_date
-- of the as-of year. value is NULL when there is no invoice line in the window.
with ytd as (
    select amount_usd, invoice_id, customer_id
    from staging.revenue_lines
    where transaction_date between cast(date_trunc(@as_of_date, year) as date) and @as_of_date
),

final as (
    select
        sum(amount_usd) as value,
        count(distinct invoice_id) as invoice_count,
        count(distinct customer_id) as customer_count
    from ytd
)

select * from final
