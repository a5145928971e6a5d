-- pipeline_by_close_date: open deals closing in the as-of quarter per close week (Monday start;
-- close_week is the Monday as YYYY-MM-DD) and month, then one "No close date" row for the open
-- deals without a close date (month NULL; not part of the quarter's pipeline).
with weeks as (
    select
        cast(week_start as string) as close_week,
        month,
        count(*) as deal_count,
        sum(amount_usd) as amount_usd,
        sum(weighted_usd) as weighted_usd
    from intermediate.open_deals_quarter
    group by week_start, month
),

undated as (
    select
        'No close date' as close_week,
        cast(null as date) as month,
        count(*) as deal_count,
        sum(amount_usd) as amount_usd,
        sum(weighted_usd) as weighted_usd
    from intermediate.open_deals_undated
),

final as (
    select * from weeks
    union all
    select * from undated where deal_count > 0
)

select * from final order by month is null, close_week
