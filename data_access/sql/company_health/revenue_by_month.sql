-- revenue_by_month: revenue per calendar month for the 12 months ending with
-- the as-of month (the as-of month counts only up to @as_of_date).
with months as (
    select month
    from unnest(generate_date_array(
        date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month),
        cast(date_trunc(@as_of_date, month) as date),
        interval 1 month)) as month
),

revenue as (
    select cast(date_trunc(transaction_date, month) as date) as month, sum(amount_usd) as revenue_usd,
        count(distinct invoice_id) as invoice_count
    from staging.revenue_lines
    where transaction_date between date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month)
        and @as_of_date
    group by 1
),

final as (
    select m.month, coalesce(r.revenue_usd, 0) as revenue_usd, coalesce(r.invoice_count, 0) as invoice_count
    from months as m
    left join revenue as r on m.month = r.month
)

select * from final order by month
