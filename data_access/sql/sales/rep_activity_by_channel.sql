-- rep_activity_by_channel: per rep, month and channel (call, email, meeting), the activities of
-- the 12 calendar months ending with @as_of_date's month (through @as_of_date), those that got a
-- response (call connected, email replied, meeting held), the contacts touched and those of them
-- with a deal created 0–14 days after an activity (intermediate.activity_conversions).
-- Contacts are distinct within a row: summed over months or reps, a contact counts once per row.
-- How: an activity belongs to one rep, month and channel, so activities are counted on
-- staging.activities (one row each) and contacts on one row per (rep, month, channel, contact) —
-- two plain aggregations instead of four COUNT(DISTINCT …) over every (activity, contact) pair.
with activities as (
    select
        owner_id,
        owner_name,
        cast(date_trunc(activity_date, month) as date) as month,
        channel,
        is_response
    from staging.activities
    where activity_date between date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month) and @as_of_date
),

contacts as (
    select
        owner_id,
        owner_name,
        cast(date_trunc(activity_date, month) as date) as month,
        channel,
        contact_id,
        logical_or(is_converted) as is_converted
    from intermediate.activity_conversions
    where activity_date between date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month) and @as_of_date
        and contact_id is not null
    group by 1, 2, 3, 4, 5
),

counts as (
    select
        owner_id, owner_name, month, channel,
        count(*) as activity_count,
        count(if(is_response, 1, null)) as response_count,
        0 as contacts_touched,
        0 as converted_contacts
    from activities
    group by 1, 2, 3, 4
    union all
    select
        owner_id, owner_name, month, channel,
        0, 0,
        count(*),
        count(if(is_converted, 1, null))
    from contacts
    group by 1, 2, 3, 4
),

final as (
    -- GROUP BY keeps the Unassigned rep (owner_id NULL) as one group, where a join on owner_id would not
    select
        owner_id,
        owner_name,
        month,
        channel,
        cast(sum(activity_count) as int64) as activity_count,
        cast(sum(response_count) as int64) as response_count,
        cast(sum(contacts_touched) as int64) as contacts_touched,
        cast(sum(converted_contacts) as int64) as converted_contacts
    from counts
    group by 1, 2, 3, 4
)

select * from final order by owner_name, month, channel
