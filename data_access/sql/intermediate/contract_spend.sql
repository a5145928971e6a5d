-- One row per upfront contract: a won sales-pipeline deal (amount > 0) closed on or before
-- @as_of_date. Its spend is the customer's invoiced revenue (staging.revenue_lines, dated up
-- to @as_of_date) allocated to the customer's contracts first in, first out:
--   * a contract belongs to the QuickBooks customer whose name equals its HubSpot company's
--     name (case and surrounding spaces ignored; several customers of one name are pooled);
--   * the customer's invoices dated from its first contract's close date on are summed in date
--     order and fill its contracts in close-date order (deal id breaks ties): contract k owns
--     the slice of cumulative spend between the values of contracts 1..k-1 and 1..k;
--   * a contract is fulfilled on the first invoice date its slice is full (within USD 1 of its
--     value, for currency rounding), never before its own close date.
-- Health of an unfulfilled (active) contract, d = days since close, pace = min(1, d / 120):
--   overdue: d > 120 (the standard spend window is 120 days);
--   at risk: spent share < pace − 0.25 (more than 25 points behind a straight-line pace);
--   on track: otherwise.
with customer_keys as (
    -- QuickBooks customers keyed by name: every customer of one name gets the lowest id of that name
    select
        customer_id,
        customer_name,
        segment,
        lower(trim(customer_name)) as match_name,
        min(customer_id) over (partition by lower(trim(customer_name))) as customer_key
    from staging.customers
),

customers as (
    select match_name, customer_key, min(customer_name) as customer_name, min(segment) as segment
    from customer_keys
    where customer_id = customer_key
    group by 1, 2
),

contracts as (
    select
        d.deal_id,
        d.deal_name,
        d.company_name,
        d.owner_id,
        d.owner_name,
        d.amount_usd as contract_usd,
        d.close_date,
        c.customer_key
    from staging.deals as d
    left join customers as c on lower(trim(d.company_name)) = c.match_name
    where d.is_won and d.amount_usd > 0 and d.close_date <= @as_of_date
),

stacked as (
    select
        *,
        sum(contract_usd) over (partition by customer_key order by close_date, deal_id
            rows between unbounded preceding and current row) as stacked_end_usd
    from contracts
),

first_close as (
    select customer_key, min(close_date) as first_close_date
    from contracts
    where customer_key is not null
    group by 1
),

daily_spend as (
    select
        k.customer_key,
        r.transaction_date,
        sum(r.amount_usd) as spend_usd
    from staging.revenue_lines as r
    inner join customer_keys as k on r.customer_id = k.customer_id
    inner join first_close as f on k.customer_key = f.customer_key
    where r.transaction_date between f.first_close_date and @as_of_date
    group by 1, 2
),

running_spend as (
    select
        customer_key,
        transaction_date,
        sum(spend_usd) over (partition by customer_key order by transaction_date
            rows between unbounded preceding and current row) as cumulative_usd
    from daily_spend
),

customer_spend as (
    select customer_key, sum(spend_usd) as spend_to_date_usd
    from daily_spend
    group by 1
),

fulfilment as (
    select s.deal_id, min(r.transaction_date) as reached_date
    from stacked as s
    inner join running_spend as r
        on s.customer_key = r.customer_key and r.cumulative_usd >= s.stacked_end_usd - 1
    group by 1
),

allocated as (
    select
        s.deal_id,
        s.deal_name,
        cu.customer_key as customer_id,
        coalesce(cu.customer_name, s.company_name) as customer_name,
        coalesce(cu.segment, 'Unclassified') as segment,
        s.owner_id,
        s.owner_name,
        s.close_date,
        s.contract_usd,
        least(greatest(coalesce(sp.spend_to_date_usd, 0) - (s.stacked_end_usd - s.contract_usd), 0),
            s.contract_usd) as spend_usd,
        if(f.reached_date is null, null, greatest(f.reached_date, s.close_date)) as fulfilled_date,
        date_diff(@as_of_date, s.close_date, day) as days_since_close
    from stacked as s
    left join customers as cu on s.customer_key = cu.customer_key
    left join customer_spend as sp on s.customer_key = sp.customer_key
    left join fulfilment as f on s.deal_id = f.deal_id
),

final as (
    select
        deal_id,
        deal_name,
        customer_id,
        customer_name,
        segment,
        owner_id,
        owner_name,
        close_date,
        cast(date_trunc(close_date, month) as date) as month,
        contract_usd,
        if(fulfilled_date is null, spend_usd, contract_usd) as spend_usd,
        if(fulfilled_date is null, contract_usd - spend_usd, 0) as unspent_usd,
        fulfilled_date,
        date_diff(fulfilled_date, close_date, day) as time_to_fulfill_days,
        days_since_close,
        case
            when fulfilled_date is not null then 'Fulfilled'
            when days_since_close > 120 then 'Overdue'
            when spend_usd / contract_usd < least(1, cast(days_since_close as float64) / 120) - 0.25 then 'At risk'
            else 'On track'
        end as health
    from allocated
)

select * from final
