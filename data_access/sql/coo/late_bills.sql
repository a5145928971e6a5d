-- late_bills: vendor bills paid after their due date in the 90 days ending on @as_of_date (the
-- late ones of bill_payment_timeliness), and bills still unpaid past their due date on
-- @as_of_date (not in the metric until paid), with the days late.
with settled as (
    select *
    from intermediate.bill_settlement
),

final as (
    select
        bill_id,
        concat(vendor_name, ' #', doc_number) as bill_name,
        vendor_name,
        doc_number,
        transaction_date,
        due_date,
        paid_date,
        if(paid_date is null, 'Unpaid, past due', 'Paid late') as status,
        total_usd as amount_usd,
        date_diff(coalesce(paid_date, @as_of_date), due_date, day) as late_days,
        cast(date_trunc(coalesce(paid_date, @as_of_date), month) as date) as month
    from settled
    where (paid_date between date_sub(@as_of_date, interval 89 day) and @as_of_date and paid_date > due_date)
        or (paid_date is null and due_date < @as_of_date)
)

select * from final order by late_days desc, bill_id
