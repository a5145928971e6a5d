-- One row per QuickBooks sales line, in home currency (USD).
-- The single definition of "revenue" in Pulse: SalesItemLineDetail lines only
-- (SubTotalLineDetail repeats amounts), soft-deleted invoices excluded,
-- amount × exchange_rate where the invoice is in another currency.
with invoices as (
    select
        id as invoice_id,
        customer_id,
        transaction_date,
        coalesce(exchange_rate, 1) as exchange_rate
    from quickbooks.invoice
    where not coalesce(_fivetran_deleted, false)
),

lines as (
    select invoice_id, amount
    from quickbooks.invoice_line
    where detail_type = 'SalesItemLineDetail'
),

final as (
    select
        i.invoice_id,
        i.customer_id,
        cast(i.transaction_date as date) as transaction_date,
        l.amount * i.exchange_rate as amount_usd
    from lines as l
    inner join invoices as i on l.invoice_id = i.invoice_id
)

select * from final
