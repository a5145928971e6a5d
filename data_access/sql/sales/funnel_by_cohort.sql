-- funnel_by_cohort: the lead funnel of each monthly lead cohort (the month contacts became leads)
-- over the 12 months ending with @as_of_date's: how many reached each stage by @as_of_date, each
-- step's conversion and the median days of each step (skipped steps count 0 days;
-- intermediate.lead_funnel). A month without leads has counts 0 and no rates; no rows at all
-- when no contact became a lead in those months.
with months as (
    select month
    from unnest(generate_date_array(date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month),
        cast(date_trunc(@as_of_date, month) as date), interval 1 month)) as month
),

leads as (
    select
        cohort_month,
        mql_date,
        sql_date,
        opportunity_date,
        customer_date,
        date_diff(mql_date, lead_date, day) as lead_to_mql_days,
        date_diff(sql_date, mql_date, day) as mql_to_sql_days,
        date_diff(opportunity_date, sql_date, day) as sql_to_opportunity_days,
        date_diff(customer_date, opportunity_date, day) as opportunity_to_customer_days
    from intermediate.lead_funnel
    where cohort_month between date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month)
        and cast(date_trunc(@as_of_date, month) as date)
),

medians as (
    select
        cohort_month,
        mql_date,
        sql_date,
        opportunity_date,
        customer_date,
        percentile_cont(lead_to_mql_days, 0.5) over (partition by cohort_month) as median_lead_to_mql_days,
        percentile_cont(mql_to_sql_days, 0.5) over (partition by cohort_month) as median_mql_to_sql_days,
        percentile_cont(sql_to_opportunity_days, 0.5) over (partition by cohort_month)
            as median_sql_to_opportunity_days,
        percentile_cont(opportunity_to_customer_days, 0.5) over (partition by cohort_month)
            as median_opportunity_to_customer_days
    from leads
),

cohorts as (
    select
        cohort_month,
        count(*) as lead_count,
        count(mql_date) as mql_count,
        count(sql_date) as sql_count,
        count(opportunity_date) as opportunity_count,
        count(customer_date) as customer_count,
        max(median_lead_to_mql_days) as median_lead_to_mql_days,
        max(median_mql_to_sql_days) as median_mql_to_sql_days,
        max(median_sql_to_opportunity_days) as median_sql_to_opportunity_days,
        max(median_opportunity_to_customer_days) as median_opportunity_to_customer_days
    from medians
    group by 1
),

final as (
    select
        m.month,
        coalesce(c.lead_count, 0) as lead_count,
        coalesce(c.mql_count, 0) as mql_count,
        coalesce(c.sql_count, 0) as sql_count,
        coalesce(c.opportunity_count, 0) as opportunity_count,
        coalesce(c.customer_count, 0) as customer_count,
        safe_divide(c.mql_count, c.lead_count) as lead_to_mql_rate,
        safe_divide(c.sql_count, c.mql_count) as mql_to_sql_rate,
        safe_divide(c.opportunity_count, c.sql_count) as sql_to_opportunity_rate,
        safe_divide(c.customer_count, c.opportunity_count) as opportunity_to_customer_rate,
        safe_divide(c.customer_count, c.lead_count) as lead_to_customer_rate,
        round(c.median_lead_to_mql_days, 1) as median_lead_to_mql_days,
        round(c.median_mql_to_sql_days, 1) as median_mql_to_sql_days,
        round(c.median_sql_to_opportunity_days, 1) as median_sql_to_opportunity_days,
        round(c.median_opportunity_to_customer_days, 1) as median_opportunity_to_customer_days
    from months as m
    left join cohorts as c on m.month = c.cohort_month
    where exists (select 1 from leads)
)

select * from final order by month
