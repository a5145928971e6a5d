-- working_capital: current assets − current liabilities on @as_of_date, in USD, from the
-- QuickBooks balances of intermediate.current_balances (liability balances are positive
-- amounts owed). NULL when the balances are not valid for the date or there is no account.
with sides as (
    select
        sum(if(side = 'Current assets', balance_usd, 0)) as current_assets_usd,
        sum(if(side = 'Current liabilities', balance_usd, 0)) as current_liabilities_usd,
        count(*) as account_count
    from intermediate.current_balances
),

final as (
    select
        if(account_count > 0, current_assets_usd - current_liabilities_usd, null) as value,
        current_assets_usd,
        current_liabilities_usd,
        safe_divide(current_assets_usd, current_liabilities_usd) as current_ratio
    from sides
)

select * from final
