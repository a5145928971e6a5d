-- ticket_sla_compliance: among tickets solved (last solve) in the 30 days ending on @as_of_date,
-- the share whose first reply and resolution both met their priority's targets in business
-- minutes (intermediate.ticket_business_times). NULL when no ticket was solved.
with solved as (
    select is_sla_met, is_first_reply_met, is_resolution_met
    from intermediate.ticket_business_times
    where solved_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

final as (
    select
        safe_divide(count(if(is_sla_met, 1, null)), count(*)) as value,
        count(*) as solved_count,
        count(if(is_sla_met, 1, null)) as met_count,
        count(if(not is_first_reply_met, 1, null)) as first_reply_breached_count,
        count(if(not is_resolution_met, 1, null)) as resolution_breached_count
    from solved
)

select * from final
