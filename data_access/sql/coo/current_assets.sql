-- current_assets: Σ USD balance of the current-asset accounts (Bank, Accounts Receivable,
-- Other Current Asset) on @as_of_date (intermediate.current_balances). NULL when the balances
-- are not valid for the date (no account synced within a week of it) or there is none.
with assets as (
    select balance_usd, balance_date
    from intermediate.current_balances
    where side = 'Current assets'
),

final as (
    select
        sum(balance_usd) as value,
        count(*) as account_count,
        cast(max(balance_date) as string) as balance_date
    from assets
)

select * from final
