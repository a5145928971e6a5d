-- rep_activity_by_channel: per rep, month and channel (call, email, meeting), the activities of
-- the 12 calendar months ending with @as_of_date's month (through @as_of_date), those that got a
-- response (call connected, email replied, meeting held), the contacts touched and those of them
-- with a deal created 0–14 days after an activity (intermediate.activity_conversions).
-- Contacts are distinct within a row: summed over months or reps, a contact counts once per row.
with touches as (
    select
        owner_id,
        owner_name,
        cast(date_trunc(activity_date, month) as date) as month,
        channel,
        engagement_id,
        is_response,
        contact_id,
        is_converted
    from intermediate.activity_conversions
    where activity_date between date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month) and @as_of_date
),

final as (
    select
        owner_id,
        owner_name,
        month,
        channel,
        count(distinct engagement_id) as activity_count,
        count(distinct if(is_response, engagement_id, null)) as response_count,
        count(distinct contact_id) as contacts_touched,
        count(distinct if(is_converted, contact_id, null)) as converted_contacts
    from touches
    group by 1, 2, 3, 4
)

select * from final order by owner_name, month, channel
