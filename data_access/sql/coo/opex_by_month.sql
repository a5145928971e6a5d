-- opex_by_month: operating expense per month of the as-of year to @as_of_date, actual against
-- budget (the as-of month's budget pro-rated by day).
with final as (
    select month, sum(actual_usd) as actual_usd, sum(budget_usd) as budget_usd
    from intermediate.opex_ytd
    group by 1
)

select * from final order by month
