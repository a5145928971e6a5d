-- satisfaction_by_month: Zendesk good/bad ratings by month over the 12 months ending with
-- @as_of_date's (a ticket's latest rating in the month): good, bad and good ÷ (good + bad).
with months as (
    select month
    from unnest(generate_date_array(date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month),
        cast(date_trunc(@as_of_date, month) as date), interval 1 month)) as month
),

ratings as (
    select cast(date_trunc(cast(changed_at as date), month) as date) as month, ticket_id, value as rating
    from staging.ticket_field_changes
    where field_name = 'satisfaction_score' and value in ('good', 'bad') and cast(changed_at as date) <= @as_of_date
    qualify row_number() over (partition by ticket_id, cast(date_trunc(cast(changed_at as date), month) as date)
        order by changed_at desc, value) = 1
),

counts as (
    select month, count(if(rating = 'good', 1, null)) as good_count, count(if(rating = 'bad', 1, null)) as bad_count
    from ratings
    group by 1
),

final as (
    select
        m.month,
        coalesce(c.good_count, 0) as good_count,
        coalesce(c.bad_count, 0) as bad_count,
        safe_divide(c.good_count, c.good_count + c.bad_count) as good_rate
    from months as m
    left join counts as c on m.month = c.month
)

select * from final order by month
