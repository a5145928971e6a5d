-- conversion_funnel: the contacts that became leads in the 12 months ending with @as_of_date's
-- (cohort months), by the furthest stage they reached: per step Lead → MQL → SQL → Opportunity →
-- Customer, how many reached it, the conversion from the step before and from Lead, and the median
-- days from the step before (skipped steps count 0 days; intermediate.lead_funnel). No rows
-- when no contact became a lead in those months.
with leads as (
    select lead_date, mql_date, sql_date, opportunity_date, customer_date
    from intermediate.lead_funnel
    where cohort_month between date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month)
        and cast(date_trunc(@as_of_date, month) as date)
),

stages as (
    select 1 as stage_order, 'Lead' as stage_label
    union all select 2, 'MQL'
    union all select 3, 'SQL'
    union all select 4, 'Opportunity'
    union all select 5, 'Customer'
),

steps as (
    select 1 as stage_order, cast(null as int64) as step_days from leads
    union all select 2, date_diff(mql_date, lead_date, day) from leads where mql_date is not null
    union all select 3, date_diff(sql_date, mql_date, day) from leads where sql_date is not null
    union all select 4, date_diff(opportunity_date, sql_date, day) from leads where opportunity_date is not null
    union all select 5, date_diff(customer_date, opportunity_date, day) from leads where customer_date is not null
),

step_medians as (
    select stage_order, step_days, percentile_cont(step_days, 0.5) over (partition by stage_order) as median_step_days
    from steps
),

counts as (
    select stage_order, count(*) as reached_count, max(median_step_days) as median_step_days
    from step_medians
    group by 1
),

funnel as (
    select
        s.stage_order,
        s.stage_label,
        coalesce(c.reached_count, 0) as reached_count,
        c.median_step_days
    from stages as s
    left join counts as c on s.stage_order = c.stage_order
),

final as (
    select
        f.stage_order,
        f.stage_label,
        f.reached_count,
        safe_divide(f.reached_count, lag(f.reached_count) over (order by f.stage_order)) as conversion_rate,
        safe_divide(f.reached_count, first_value(f.reached_count) over (order by f.stage_order)) as from_lead_rate,
        round(f.median_step_days, 1) as median_step_days
    from funnel as f
    where exists (select 1 from leads)
)

select * from final order by stage_order
