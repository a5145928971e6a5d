-- win_rate_by_segment: Win Rate's deals (sales pipeline, closed in the 90 days ending on
-- @as_of_date) by the segment of the deal's company: its HubSpot industry (staging.companies; a deal
-- without a company is 'No company').
with closed as (
    select coalesce(c.segment, 'No company') as segment, d.is_won, d.is_lost
    from staging.deals as d
    left join staging.companies as c on d.company_id = c.company_id
    where d.is_closed and d.close_date between date_sub(@as_of_date, interval 89 day) and @as_of_date
),

final as (
    select
        segment,
        count(if(is_won, 1, null)) as won_count,
        count(if(is_lost, 1, null)) as lost_count,
        safe_divide(count(if(is_won, 1, null)), count(if(is_won, 1, null)) + count(if(is_lost, 1, null)))
            as win_rate
    from closed
    group by 1
)

select * from final order by won_count + lost_count desc, segment
