-- current_assets_by_account: each current-asset account with its balance (account currency
-- and USD) on @as_of_date, largest first.
select
    account_id,
    account_name,
    account_type,
    currency_id,
    balance,
    balance_usd,
    balance_date
from intermediate.current_balances
where side = 'Current assets'
order by balance_usd desc, account_id
