-- meetings_by_rep: supply meetings per rep (the deal's owner) in the 7 days ending on
-- @as_of_date and the 7 days after it.
with final as (
    select
        owner_id,
        owner_name,
        count(if(period = 'last 7 days', 1, null)) as last_7_days_count,
        count(if(period = 'next 7 days', 1, null)) as next_7_days_count
    from intermediate.supply_meetings
    group by 1, 2
)

select * from final order by owner_name
