-- working_capital_by_type: what makes up working capital on @as_of_date, per QuickBooks account
-- type: balance in USD and its signed contribution (liabilities negative).
with final as (
    select
        side,
        account_type,
        count(*) as account_count,
        sum(balance_usd) as balance_usd,
        sum(if(side = 'Current assets', balance_usd, -balance_usd)) as working_capital_usd
    from intermediate.current_balances
    group by 1, 2
)

select * from final order by side, balance_usd desc
