-- revenue_cohort_matrix: customers grouped by the month of their first invoice (staging.revenue_lines:
-- sales lines in USD, voided invoices out) for the 24 months ending with @as_of_date's; for each
-- cohort and each month n since it (0 = the first-invoice month) up to @as_of_date's month, the
-- cohort's revenue in month n ÷ its month-0 revenue (a triangle; above 1 = the cohort buys more
-- than in its first month). Revenue through @as_of_date (the current month is to date).
with lines as (
    select customer_id, cast(date_trunc(transaction_date, month) as date) as month, amount_usd
    from staging.revenue_lines
    where transaction_date <= @as_of_date
),

first_months as (
    select customer_id, min(month) as cohort_month
    from lines
    group by 1
),

cohorts as (
    select cohort_month, count(*) as customer_count
    from first_months
    where cohort_month >= date_sub(cast(date_trunc(@as_of_date, month) as date), interval 23 month)
    group by 1
),

monthly as (
    select f.cohort_month, date_diff(l.month, f.cohort_month, month) as months_since_cohort, sum(l.amount_usd) as revenue_usd
    from lines as l
    inner join first_months as f on l.customer_id = f.customer_id
    group by 1, 2
),

grid as (
    select c.cohort_month, c.customer_count, k as months_since_cohort
    from cohorts as c
    cross join unnest(generate_array(0, 23)) as k
    where k <= date_diff(cast(date_trunc(@as_of_date, month) as date), c.cohort_month, month)
),

final as (
    select
        g.cohort_month as month,
        g.months_since_cohort,
        g.customer_count,
        round(coalesce(m.revenue_usd, 0), 2) as revenue_usd,
        round(m0.revenue_usd, 2) as month0_revenue_usd,
        safe_divide(coalesce(m.revenue_usd, 0), m0.revenue_usd) as revenue_ratio
    from grid as g
    left join monthly as m on g.cohort_month = m.cohort_month and g.months_since_cohort = m.months_since_cohort
    left join monthly as m0 on g.cohort_month = m0.cohort_month and m0.months_since_cohort = 0
)

select * from final order by month, months_since_cohort
