-- unspent_contract_usd: contract value not yet spent (invoiced) on the active upfront
-- contracts as of @as_of_date. 0 when every contract is fulfilled; NULL when there is no
-- contract at all (no won deal in the sales pipeline: no CRM data).
with contracts as (
    select health, unspent_usd
    from intermediate.contract_spend
),

final as (
    select
        if(count(*) > 0, coalesce(sum(if(health != 'Fulfilled', unspent_usd, 0)), 0), null) as value,
        count(if(health != 'Fulfilled', 1, null)) as active_contract_count,
        count(if(health = 'Overdue', 1, null)) as overdue_contract_count,
        coalesce(sum(if(health = 'Overdue', unspent_usd, 0)), 0) as overdue_unspent_usd
    from contracts
)

select * from final
