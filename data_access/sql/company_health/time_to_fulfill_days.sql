-- time_to_fulfill_days: median days from an upfront contract's close date until its invoiced
-- spend reaches the contract value, over the contracts fulfilled in the 365 days ending on
-- @as_of_date (allocation in intermediate.contract_spend). NULL when none was fulfilled.
with fulfilled as (
    select time_to_fulfill_days
    from intermediate.contract_spend
    where fulfilled_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
),

medians as (
    select percentile_cont(time_to_fulfill_days, 0.5) over () as median_days
    from fulfilled
),

final as (
    select
        (select max(median_days) from medians) as value,
        (select count(*) from fulfilled) as fulfilled_count
)

select * from final
