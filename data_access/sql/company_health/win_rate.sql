-- win_rate: won ÷ (won + lost) among sales-pipeline deals whose close date is in
-- the 90 days ending on @as_of_date (inclusive). NULL when no deal closed.
with closed as (
    select is_won, is_lost
    from staging.deals
    where is_closed and close_date between date_sub(@as_of_date, interval 89 day) and @as_of_date
),

final as (
    select
        safe_divide(count(if(is_won, 1, null)), count(if(is_won, 1, null)) + count(if(is_lost, 1, null))) as value,
        -- count(if(…)), not countif(…): sqlglot turns COUNTIF into DuckDB's COUNT_IF, which is
        -- NULL (not 0) over no rows and HUGEINT (a float column in pandas), not INT64
        count(if(is_won, 1, null)) as won_count,
        count(if(is_lost, 1, null)) as lost_count
    from closed
)

select * from final
