-- win_rate: won ÷ (won + lost) among sales-pipeline deals whose close date is in
-- the 90 days ending on @as_of_date (inclusive). NULL when no deal closed.
with closed as (
    select is_won, is_lost
    from staging.deals
    where is_closed and close_date between date_sub(@as_of_date, interval 89 day) and @as_of_date
),

final as (
    select
        safe_divide(countif(is_won), countif(is_won) + countif(is_lost)) as value,
        countif(is_won) as won_count,
        countif(is_lost) as lost_count
    from closed
)

select * from final
