-- Payments applied to vendor bills: one row per QuickBooks bill_payment_line that names a
-- bill, dated by its bill payment; soft-deleted (voided) bill payments excluded. Amounts are
-- in the bill's currency.
with payments as (
    select id as bill_payment_id, cast(transaction_date as date) as payment_date
    from quickbooks.bill_payment
    where not coalesce(_fivetran_deleted, false)
),

lines as (
    select bill_payment_id, bill_id, amount
    from quickbooks.bill_payment_line
    where bill_id is not null
),

final as (
    select
        l.bill_payment_id,
        l.bill_id,
        p.payment_date,
        coalesce(l.amount, 0) as amount
    from lines as l
    inner join payments as p on l.bill_payment_id = p.bill_payment_id
    where p.payment_date is not null
)

select * from final
