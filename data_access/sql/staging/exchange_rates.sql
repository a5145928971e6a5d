-- Exchange rates QuickBooks recorded (USD per unit of the currency) on invoices and bills not
-- soft-deleted: one row per currency and date. Pulse reports in USD; USD itself is 1.
with invoice_rates as (
    select currency_id, transaction_date, exchange_rate
    from quickbooks.invoice
    where not coalesce(_fivetran_deleted, false)
        and exchange_rate > 0 and transaction_date is not null
),

bill_rates as (
    select currency_id, transaction_date, exchange_rate
    from quickbooks.bill
    where not coalesce(_fivetran_deleted, false)
        and exchange_rate > 0 and transaction_date is not null
),

final as (
    select
        upper(currency_id) as currency_id,
        cast(transaction_date as date) as rate_date,
        avg(exchange_rate) as usd_per_unit
    from (
        select currency_id, transaction_date, exchange_rate from invoice_rates
        union all
        select currency_id, transaction_date, exchange_rate from bill_rates
    ) as rates
    where currency_id is not null
    group by 1, 2
)

select * from final
