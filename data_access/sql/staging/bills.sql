-- QuickBooks vendor bills not soft-deleted, with their vendor and due date (a bill without a
-- due date is due on receipt: its transaction date). Amounts in the bill's currency and USD.
with bills as (
    select
        id as bill_id,
        vendor_id,
        doc_number,
        cast(transaction_date as date) as transaction_date,
        cast(due_date as date) as due_date,
        coalesce(total_amount, 0) as total_amount,
        coalesce(exchange_rate, 1) as exchange_rate
    from quickbooks.bill
    where not coalesce(_fivetran_deleted, false)
),

final as (
    select
        b.bill_id,
        b.vendor_id,
        coalesce(v.vendor_name, concat('Vendor ', cast(b.vendor_id as string))) as vendor_name,
        coalesce(b.doc_number, cast(b.bill_id as string)) as doc_number,
        b.transaction_date,
        coalesce(b.due_date, b.transaction_date) as due_date,
        b.total_amount,
        b.total_amount * b.exchange_rate as total_usd
    from bills as b
    left join staging.vendors as v on b.vendor_id = v.vendor_id
)

select * from final
