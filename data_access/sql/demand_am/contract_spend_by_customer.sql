-- contract_spend_by_customer: active upfront contracts per customer and close month: value,
-- spend to date and what is left (the drill-down sums months and recomputes spend_pct).
with active as (
    select customer_id, customer_name, segment, month, contract_usd, spend_usd, unspent_usd
    from intermediate.contract_spend
    where health != 'Fulfilled'
),

final as (
    select
        customer_id,
        customer_name,
        segment,
        month,
        count(*) as contract_count,
        sum(contract_usd) as contract_usd,
        sum(spend_usd) as spend_usd,
        sum(unspent_usd) as unspent_usd
    from active
    group by 1, 2, 3, 4
)

select * from final order by unspent_usd desc, customer_name, month
