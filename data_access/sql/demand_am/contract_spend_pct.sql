-- contract_spend_pct: spend to date ÷ contract value over the active upfront contracts (won
-- deals not yet fulfilled as of @as_of_date; allocation in intermediate.contract_spend).
-- NULL when no contract is active.
with active as (
    select contract_usd, spend_usd
    from intermediate.contract_spend
    where health != 'Fulfilled'
),

final as (
    select
        safe_divide(sum(spend_usd), sum(contract_usd)) as value,
        count(*) as active_contract_count,
        sum(contract_usd) as contract_usd,
        sum(spend_usd) as spend_usd
    from active
)

select * from final
