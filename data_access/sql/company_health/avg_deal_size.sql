-- avg_deal_size: mean amount (USD) of deals won with close date in the 365 days
-- ending on @as_of_date (inclusive). NULL when none was won.
with won as (
    select amount_usd
    from staging.deals
    where is_won and close_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
),

final as (
    select
        avg(amount_usd) as value,
        count(*) as won_count,
        sum(amount_usd) as won_usd
    from won
)

select * from final
