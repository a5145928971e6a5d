-- Operating expenses against budget, year to date: per expense category (top-level expense
-- account) and month from January 1 of the as-of year to @as_of_date: actual (purchase and
-- bill lines on accounts of type Expense, staging.expense_lines) and budget (finance.budget;
-- the as-of month's budget pro-rated by day: day of month ÷ days in the month).
with actuals as (
    select
        e.category,
        cast(date_trunc(e.transaction_date, month) as date) as month,
        sum(e.amount_usd) as actual_usd
    from staging.expense_lines as e
    cross join intermediate.periods as p
    where e.is_operating and e.transaction_date between p.year_start and @as_of_date
    group by 1, 2
),

budget as (
    select
        b.category,
        b.month,
        sum(b.budget_usd) * if(b.month = cast(date_trunc(@as_of_date, month) as date),
            extract(day from @as_of_date) / extract(day from last_day(@as_of_date)), 1) as budget_usd
    from staging.budget as b
    cross join intermediate.periods as p
    where b.month between p.year_start and @as_of_date
    group by 1, 2
),

final as (
    select
        coalesce(a.category, b.category) as category,
        coalesce(a.month, b.month) as month,
        coalesce(a.actual_usd, 0) as actual_usd,
        coalesce(b.budget_usd, 0) as budget_usd
    from actuals as a
    full outer join budget as b on a.category = b.category and a.month = b.month
)

select * from final
