-- sales_cycle_days: median days from create date to close date of the deals won
-- with close date in the 365 days ending on @as_of_date. NULL when none was won.
with won as (
    select date_diff(close_date, created_date, day) as cycle_days
    from staging.deals
    where is_won and close_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
),

medians as (
    select percentile_cont(cycle_days, 0.5) over () as median_days
    from won
),

final as (
    select
        (select max(median_days) from medians) as value,
        (select count(*) from won) as won_count
)

select * from final
