-- lead_cohort_retention: for each monthly lead cohort of the 12 months ending with @as_of_date's,
-- the share of its leads that had reached MQL, SQL, Opportunity and Customer by the end of each month
-- since the cohort month (0 = the cohort month itself) up to @as_of_date's month: a triangle, older
-- cohorts having more months. Skipped stages count as reached with the next stage
-- (intermediate.lead_funnel). No rows when no contact became a lead in those months.
with leads as (
    select
        cohort_month,
        date_diff(cast(date_trunc(mql_date, month) as date), cohort_month, month) as mql_month_index,
        date_diff(cast(date_trunc(sql_date, month) as date), cohort_month, month) as sql_month_index,
        date_diff(cast(date_trunc(opportunity_date, month) as date), cohort_month, month) as opportunity_month_index,
        date_diff(cast(date_trunc(customer_date, month) as date), cohort_month, month) as customer_month_index
    from intermediate.lead_funnel
    where cohort_month between date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month)
        and cast(date_trunc(@as_of_date, month) as date)
),

cohorts as (
    select cohort_month, count(*) as cohort_count
    from leads
    group by 1
),

stages as (
    select 2 as stage_order, 'MQL' as stage_label
    union all select 3, 'SQL'
    union all select 4, 'Opportunity'
    union all select 5, 'Customer'
),

reached as (
    select cohort_month, 2 as stage_order, mql_month_index as month_index from leads where mql_month_index is not null
    union all
    select cohort_month, 3, sql_month_index from leads where sql_month_index is not null
    union all
    select cohort_month, 4, opportunity_month_index from leads where opportunity_month_index is not null
    union all
    select cohort_month, 5, customer_month_index from leads where customer_month_index is not null
),

grid as (
    select c.cohort_month, c.cohort_count, s.stage_order, s.stage_label, k as months_since_cohort
    from cohorts as c
    cross join stages as s
    cross join unnest(generate_array(0, 11)) as k
    where k <= date_diff(cast(date_trunc(@as_of_date, month) as date), c.cohort_month, month)
),

final as (
    select
        g.cohort_month as month,
        g.months_since_cohort,
        g.stage_order,
        g.stage_label,
        g.cohort_count,
        count(r.month_index) as reached_count,
        safe_divide(count(r.month_index), g.cohort_count) as reached_rate
    from grid as g
    left join reached as r
        on g.cohort_month = r.cohort_month and g.stage_order = r.stage_order and r.month_index <= g.months_since_cohort
    group by 1, 2, 3, 4, 5
)

select * from final order by month, stage_order, months_since_cohort
