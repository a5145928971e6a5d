-- Every QuickBooks customer with its ARR, last invoice and account owner, one row per customer (the
-- worker copies it into Pulse's customer_profile daily; data_access.customers.sync_customers):
--   arr_usd = invoiced revenue in the 365 days ending on @as_of_date (USD, invoice exchange rate);
--   last_invoice_date = the customer's latest invoice on or before @as_of_date (null: none in 2 years);
--   owner_name = the rep of the customer's latest won deal closed on or before @as_of_date (the
--     HubSpot company whose name equals the customer's, case and surrounding spaces ignored, as in
--     intermediate/contract_spend); null when it has none.
with won as (
    select
        lower(trim(company_name)) as match_name,
        owner_name,
        row_number() over (partition by lower(trim(company_name)) order by close_date desc, deal_id desc) as recency
    from staging.deals
    where is_won and close_date <= @as_of_date and owner_name != 'Unassigned'
),

owners as (
    select match_name, owner_name
    from won
    where recency = 1
),

final as (
    select
        cast(c.customer_id as string) as customer_id,
        c.customer_name,
        c.segment,
        greatest(coalesce(w.current_usd, 0), 0) as arr_usd,
        w.last_invoice_date,
        o.owner_name
    from staging.customers as c
    left join intermediate.customer_windows as w on c.customer_id = w.customer_id
    left join owners as o on lower(trim(c.customer_name)) = o.match_name
)

select * from final order by customer_id
