-- win_rate_by_rep: won and lost deals per rep and close month, for deals closed
-- in the 90 days ending on @as_of_date (the window of win_rate).
with closed as (
    select owner_id, owner_name, cast(date_trunc(close_date, month) as date) as month, is_won, is_lost, amount_usd
    from staging.deals
    where is_closed and close_date between date_sub(@as_of_date, interval 89 day) and @as_of_date
),

final as (
    select
        owner_id,
        owner_name,
        month,
        -- count(if(…)), not countif(…): DuckDB's COUNT_IF is HUGEINT (see win_rate.sql)
        count(if(is_won, 1, null)) as won_count,
        count(if(is_lost, 1, null)) as lost_count,
        sum(if(is_won, amount_usd, 0)) as won_usd
    from closed
    group by 1, 2, 3
)

select * from final order by owner_name, month
