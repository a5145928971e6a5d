-- bill_timeliness_by_month: vendor bills fully paid per month (12 months ending with the as-of
-- month, the as-of month up to @as_of_date): paid, on time, late and the on-time rate.
with paid as (
    select cast(date_trunc(paid_date, month) as date) as month, paid_date <= due_date as is_on_time
    from intermediate.bill_settlement
    where paid_date between date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month)
        and @as_of_date
),

final as (
    select
        month,
        count(*) as paid_count,
        count(if(is_on_time, 1, null)) as on_time_count,
        count(if(not is_on_time, 1, null)) as late_count,
        count(if(is_on_time, 1, null)) / count(*) as on_time_rate
    from paid
    group by 1
)

select * from final order by month
