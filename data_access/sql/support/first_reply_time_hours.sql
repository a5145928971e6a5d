-- first_reply_time_hours: median first reply time in business hours of the tickets created in
-- the 30 days ending on @as_of_date that have been replied to (a ticket solved without a reply
-- counts its solve). NULL when none has.
with created as (
    select first_reply_business_minutes
    from intermediate.ticket_business_times
    where created_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

medians as (
    select percentile_cont(first_reply_business_minutes, 0.5) over () as median_minutes
    from created
    where first_reply_business_minutes is not null
),

final as (
    select
        (select max(median_minutes) from medians) / 60 as value,
        (select count(*) from created) as created_count,
        (select count(*) from created where first_reply_business_minutes is not null) as replied_count
)

select * from final
