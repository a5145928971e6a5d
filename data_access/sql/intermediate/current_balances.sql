-- Current-asset and current-liability accounts with their QuickBooks balance in USD, valid for
-- @as_of_date. QuickBooks keeps an account's current balance, not its history, so balances
-- count only when the account table was synced between 7 days before and 1 day after
-- @as_of_date (otherwise no row: a past as-of date would need the general ledger).
-- Foreign-currency accounts are converted at the latest exchange rate QuickBooks recorded
-- for that currency on an invoice or bill dated on or before @as_of_date (no rate: left out).
with accounts as (
    select *
    from staging.accounts
    where is_current_asset or is_current_liability
),

snapshot as (
    select max(cast(synced_at as date)) as balance_date
    from staging.accounts
),

latest_rates as (
    select currency_id, usd_per_unit
    from (
        select
            currency_id,
            usd_per_unit,
            row_number() over (partition by currency_id order by rate_date desc) as rn
        from staging.exchange_rates
        where rate_date <= @as_of_date
    ) as ranked
    where rn = 1
),

final as (
    select
        a.account_id,
        a.account_name,
        a.account_type,
        if(a.is_current_asset, 'Current assets', 'Current liabilities') as side,
        a.currency_id,
        a.balance,
        a.balance * if(a.currency_id = 'USD', 1, r.usd_per_unit) as balance_usd,
        s.balance_date
    from accounts as a
    cross join snapshot as s
    left join latest_rates as r on a.currency_id = r.currency_id
    where s.balance_date between date_sub(@as_of_date, interval 7 day) and date_add(@as_of_date, interval 1 day)
        and (a.currency_id = 'USD' or r.usd_per_unit is not null)
)

select * from final
