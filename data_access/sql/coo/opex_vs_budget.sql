-- opex_vs_budget: actual ÷ budgeted operating expense, January 1 of the as-of year to
-- @as_of_date (as-of month's budget pro-rated by day; intermediate.opex_ytd). NULL when there
-- is no budget for the period.
with totals as (
    select sum(actual_usd) as actual_usd, sum(budget_usd) as budget_usd
    from intermediate.opex_ytd
),

final as (
    select
        if(budget_usd > 0, actual_usd / budget_usd, null) as value,
        coalesce(actual_usd, 0) as actual_usd,
        coalesce(budget_usd, 0) as budget_usd,
        coalesce(actual_usd, 0) - coalesce(budget_usd, 0) as variance_usd
    from totals
)

select * from final
