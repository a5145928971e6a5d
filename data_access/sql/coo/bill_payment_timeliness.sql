-- bill_payment_timeliness: share of the vendor bills fully paid in the 90 days ending on
-- @as_of_date that were paid on or before their due date (intermediate.bill_settlement).
-- NULL when no bill was paid in the window.
with paid as (
    select paid_date <= due_date as is_on_time
    from intermediate.bill_settlement
    where paid_date between date_sub(@as_of_date, interval 89 day) and @as_of_date
),

final as (
    select
        safe_divide(count(if(is_on_time, 1, null)), count(*)) as value,
        count(*) as paid_count,
        count(if(is_on_time, 1, null)) as on_time_count,
        count(if(not is_on_time, 1, null)) as late_count
    from paid
)

select * from final
