-- Vendor bills with what was paid on them by @as_of_date: payments applied through
-- bill_payment_line (voided payments excluded), the date the bill became fully paid (its last
-- payment, once payments reach the bill total within a cent) and whether that was on or before
-- its due date. Bills with a total of 0 or less are left out.
with payments as (
    select bill_id, sum(amount) as paid_amount, max(payment_date) as last_payment_date
    from staging.bill_payment_lines
    where payment_date <= @as_of_date
    group by 1
),

final as (
    select
        b.bill_id,
        b.vendor_id,
        b.vendor_name,
        b.doc_number,
        b.transaction_date,
        b.due_date,
        b.total_amount,
        b.total_usd,
        coalesce(p.paid_amount, 0) as paid_amount,
        if(coalesce(p.paid_amount, 0) >= b.total_amount - 0.01, p.last_payment_date, null) as paid_date
    from staging.bills as b
    left join payments as p on b.bill_id = p.bill_id
    where b.total_amount > 0 and b.transaction_date <= @as_of_date
)

select * from final
