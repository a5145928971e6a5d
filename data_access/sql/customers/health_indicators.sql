-- health_indicators: per QuickBooks customer, the inputs of the customer health score
-- (data_access.health scores them with the weights of health_score_config), one row per customer:
--   revenue_recent_usd = invoiced revenue in the 180 days ending on @as_of_date (USD);
--   revenue_prior_usd  = invoiced revenue in the 180 days before those (USD);
--   days_since_invoice = days from the customer's latest invoice on or before @as_of_date to
--     @as_of_date (null: no invoice in the 360 days);
--   contract_pace_gap  = across the customer's active upfront contracts (intermediate.contract_spend,
--     not fulfilled), the lowest of spent share − straight-line pace, pace = min(1, days since
--     close / 120): 0 or more is on pace, −0.25 is 25 points behind (null: no active contract);
--   in_crm             = a HubSpot company has the customer's name (case and surrounding spaces
--     ignored, as intermediate.contract_spend matches them) and a deal;
--   days_since_meeting = days from the latest HubSpot meeting on a deal of that company, held on
--     or before @as_of_date within the 360 days, to @as_of_date (null: none, or not in the CRM).
with invoiced as (
    select
        customer_id,
        sum(if(transaction_date > date_sub(@as_of_date, interval 180 day), amount_usd, 0)) as revenue_recent_usd,
        sum(if(transaction_date <= date_sub(@as_of_date, interval 180 day), amount_usd, 0)) as revenue_prior_usd,
        max(transaction_date) as last_invoice_date
    from staging.revenue_lines
    where transaction_date > date_sub(@as_of_date, interval 360 day) and transaction_date <= @as_of_date
    group by customer_id
),

pace as (
    select
        customer_id,
        min(spend_usd / contract_usd - least(1, cast(days_since_close as float64) / 120)) as contract_pace_gap
    from intermediate.contract_spend
    where health != 'Fulfilled' and customer_id is not null
    group by customer_id
),

crm_companies as (
    select distinct lower(trim(company_name)) as match_name
    from staging.deals
),

crm_meetings as (
    select lower(trim(d.company_name)) as match_name, max(m.meeting_date) as last_meeting_date
    from staging.meetings as m
    inner join staging.deals as d on m.deal_id = d.deal_id
    where m.meeting_date > date_sub(@as_of_date, interval 360 day) and m.meeting_date <= @as_of_date
    group by 1
),

final as (
    select
        cast(c.customer_id as string) as customer_id,
        coalesce(i.revenue_recent_usd, 0) as revenue_recent_usd,
        coalesce(i.revenue_prior_usd, 0) as revenue_prior_usd,
        date_diff(@as_of_date, i.last_invoice_date, day) as days_since_invoice,
        p.contract_pace_gap,
        cc.match_name is not null as in_crm,
        date_diff(@as_of_date, cm.last_meeting_date, day) as days_since_meeting
    from staging.customers as c
    left join invoiced as i on c.customer_id = i.customer_id
    left join pace as p on c.customer_id = p.customer_id
    left join crm_companies as cc on lower(trim(c.customer_name)) = cc.match_name
    left join crm_meetings as cm on lower(trim(c.customer_name)) = cm.match_name
)

select * from final order by customer_id
