-- contract_health: active upfront contracts by health (on track / at risk / overdue; the rule
-- is in intermediate.contract_spend), segment and close month: counts, value, spend, unspent.
with active as (
    select health, segment, month, contract_usd, spend_usd, unspent_usd
    from intermediate.contract_spend
    where health != 'Fulfilled'
),

final as (
    select
        health,
        case health when 'On track' then 1 when 'At risk' then 2 else 3 end as health_order,
        segment,
        month,
        count(*) as contract_count,
        sum(contract_usd) as contract_usd,
        sum(spend_usd) as spend_usd,
        sum(unspent_usd) as unspent_usd
    from active
    group by 1, 2, 3, 4
)

select * from final order by health_order, segment, month
