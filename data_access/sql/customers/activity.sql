-- activity: the events of each QuickBooks customer's activity timeline (/customers/<id>; the worker
-- writes this frame into the frame store sharded by customer id, data_access.activity), one row per
-- event dated in the 365 days ending on @as_of_date (@as_of_date - 364 … @as_of_date, inclusive):
--   invoice    an invoice of the customer (staging.revenue_lines: live invoices, sales lines only);
--              amount_usd = its sales lines × the invoice's exchange rate (USD); an invoice without a
--              sales line has no revenue and no row; title "Invoice <QuickBooks invoice id>"
--   meeting    a meeting (staging.meetings: cancelled and rescheduled ones left out) on a sales deal of
--              the customer's HubSpot company that started on a UTC date in the window (so none in the
--              future); once per customer even when it is on several of its deals; detail = HubSpot's
--              outcome word (COMPLETED, NO_SHOW, …; null when none), amount_usd null
--   deal_won / deal_lost
--              a sales-pipeline deal of the customer's company (staging.deals) closed won / lost with
--              its close date in the window; amount_usd = the deal amount, detail = its stage label
-- The customer's HubSpot company is the one whose name equals the customer's, case and surrounding
-- spaces ignored (a meeting reaches it through the deals it is on: staging.meetings has no company
-- association). Several QuickBooks customers of one name: the lowest id of that name gets the
-- company's meetings and deals, as in intermediate/contract_spend; invoices stay with their customer.
-- occurred_at is DATETIME, UTC wall time: a meeting's start, or 00:00 of an invoice's or deal's date
-- (those sources keep dates only). Not TIMESTAMP: a DATE cast to TIMESTAMP becomes a DuckDB
-- TIMESTAMPTZ (midnight of the session's time zone); DATETIME is naive on both backends, and
-- reaches the frame as the naive-UTC datetime64 every TIMESTAMP column of Pulse's frames is.
-- At most 25 events per customer: the newest (occurred_at descending, then kind, then source_id).
-- 365 and 25 are constants here (data_access.activity.WINDOW_DAYS / MAX_EVENTS): query_params gives
-- every query the same parameters, none per query.
with customer_keys as (
    -- QuickBooks customers keyed by name: every customer of one name gets the lowest id of that name
    select
        lower(trim(customer_name)) as match_name,
        min(customer_id) as customer_key
    from staging.customers
    group by 1
),

invoices as (
    select
        customer_id,
        invoice_id,
        transaction_date,
        sum(amount_usd) as amount_usd
    from staging.revenue_lines
    where customer_id is not null
        and transaction_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
    group by 1, 2, 3
),

company_deals as (
    -- sales deals with the customer their company's name matches
    select
        k.customer_key,
        d.deal_id,
        d.deal_name,
        d.stage_label,
        d.is_closed,
        d.is_won,
        d.amount_usd,
        d.close_date
    from staging.deals as d
    inner join customer_keys as k on lower(trim(d.company_name)) = k.match_name
),

meetings as (
    select distinct
        cd.customer_key,
        m.meeting_id,
        m.start_at,
        m.title,
        m.outcome
    from staging.meetings as m
    inner join company_deals as cd on m.deal_id = cd.deal_id
    where m.meeting_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
),

events as (
    select
        cast(customer_id as string) as customer_id,
        cast(transaction_date as datetime) as occurred_at,
        'invoice' as kind,
        concat('Invoice ', cast(invoice_id as string)) as title,
        cast(null as string) as detail,
        amount_usd,
        cast(invoice_id as string) as source_id
    from invoices

    union all

    select
        cast(customer_key as string) as customer_id,
        cast(start_at as datetime) as occurred_at,
        'meeting' as kind,
        title,
        outcome as detail,
        cast(null as float64) as amount_usd,
        cast(meeting_id as string) as source_id
    from meetings

    union all

    select
        cast(customer_key as string) as customer_id,
        cast(close_date as datetime) as occurred_at,
        if(is_won, 'deal_won', 'deal_lost') as kind,
        deal_name as title,
        stage_label as detail,
        amount_usd,
        cast(deal_id as string) as source_id
    from company_deals
    where is_closed and close_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
),

ranked as (
    select
        *,
        row_number() over (partition by customer_id order by occurred_at desc, kind, source_id) as recency
    from events
),

final as (
    select customer_id, occurred_at, kind, title, detail, amount_usd, source_id
    from ranked
    where recency <= 25
)

select * from final order by customer_id, occurred_at desc, kind, source_id
