-- QuickBooks chart of accounts (soft-deleted accounts excluded) with what Pulse's finance
-- metrics need: the account's own balance (sub-accounts carry their own, so nothing is
-- counted twice), its category (the top-level account of fully_qualified_name
-- "Parent:Child", which is how the budget is kept) and whether it is a current asset or a
-- current liability, from QuickBooks' account_type:
--   current assets: Bank, Accounts Receivable, Other Current Asset
--   current liabilities: Accounts Payable, Credit Card, Other Current Liability
-- (Fixed Asset, Other Asset, Long Term Liability, Equity and P&L accounts are neither.)
with accounts as (
    select
        id as account_id,
        name,
        fully_qualified_name,
        account_type,
        classification,
        currency_id,
        balance,
        _fivetran_synced
    from quickbooks.account
    where not coalesce(_fivetran_deleted, false)
),

final as (
    select
        account_id,
        coalesce(nullif(trim(name), ''), concat('Account ', cast(account_id as string))) as account_name,
        coalesce(
            if(strpos(fully_qualified_name, ':') > 0,
                substr(fully_qualified_name, 1, strpos(fully_qualified_name, ':') - 1),
                nullif(trim(fully_qualified_name), '')),
            nullif(trim(name), ''),
            concat('Account ', cast(account_id as string))
        ) as category,
        account_type,
        classification,
        upper(coalesce(currency_id, 'USD')) as currency_id,
        coalesce(balance, 0) as balance,
        coalesce(account_type in ('Bank', 'Accounts Receivable', 'Other Current Asset'), false)
            as is_current_asset,
        coalesce(account_type in ('Accounts Payable', 'Credit Card', 'Other Current Liability'), false)
            as is_current_liability,
        _fivetran_synced as synced_at
    from accounts
)

select * from final
