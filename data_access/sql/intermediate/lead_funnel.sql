-- One row per contact in the lead funnel as of @as_of_date: the date it reached each stage
-- Lead → MQL → SQL → Opportunity → Customer. Dates after @as_of_date are not yet reached.
-- A contact that skipped a stage (a lead made SQL straight away, a customer with no opportunity
-- date) reached it when it reached the next stage it did enter: each stage's date is the earliest
-- of its own and every later stage's date, so a later stage always implies the earlier ones
-- (0 days in the skipped step). cohort_month: the month it became a lead.
with raw as (
    select
        contact_id,
        if(cast(lead_entered_at as date) <= @as_of_date, lead_entered_at, null) as lead_at,
        if(cast(mql_entered_at as date) <= @as_of_date, mql_entered_at, null) as mql_at,
        if(cast(sql_entered_at as date) <= @as_of_date, sql_entered_at, null) as sql_at,
        if(cast(opportunity_entered_at as date) <= @as_of_date, opportunity_entered_at, null) as opportunity_at,
        if(cast(customer_entered_at as date) <= @as_of_date, customer_entered_at, null) as customer_at
    from staging.contact_lifecycle
),

far as (
    select timestamp '9999-12-31 00:00:00' as never
),

reached as (
    select
        r.contact_id,
        r.mql_at is null as is_mql_skipped,
        nullif(least(coalesce(r.lead_at, f.never), coalesce(r.mql_at, f.never), coalesce(r.sql_at, f.never),
            coalesce(r.opportunity_at, f.never), coalesce(r.customer_at, f.never)), f.never) as lead_at,
        nullif(least(coalesce(r.mql_at, f.never), coalesce(r.sql_at, f.never),
            coalesce(r.opportunity_at, f.never), coalesce(r.customer_at, f.never)), f.never) as mql_at,
        nullif(least(coalesce(r.sql_at, f.never), coalesce(r.opportunity_at, f.never),
            coalesce(r.customer_at, f.never)), f.never) as sql_at,
        nullif(least(coalesce(r.opportunity_at, f.never), coalesce(r.customer_at, f.never)), f.never) as opportunity_at,
        r.customer_at
    from raw as r
    cross join far as f
),

final as (
    select
        contact_id,
        lead_at,
        mql_at,
        sql_at,
        opportunity_at,
        customer_at,
        cast(lead_at as date) as lead_date,
        cast(mql_at as date) as mql_date,
        cast(sql_at as date) as sql_date,
        cast(opportunity_at as date) as opportunity_date,
        cast(customer_at as date) as customer_date,
        is_mql_skipped and mql_at is not null as is_mql_skipped,
        cast(date_trunc(cast(lead_at as date), month) as date) as cohort_month
    from reached
    where lead_at is not null
)

select * from final
