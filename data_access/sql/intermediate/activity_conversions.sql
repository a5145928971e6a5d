-- Each rep activity (staging.activities) with the contacts it touched (staging.activity_contacts) and
-- whether that contact converted: a live HubSpot deal of theirs (staging.contact_deals) was
-- created 0–14 days after the activity's date (day 14 in, day 15 out; UTC dates). An activity on no
-- contact has contact_id NULL and converts nothing.
-- How: the days on which an activity converts a contact are the union of [created − 14, created]
-- over their deals. Cut into disjoint windows (each deal day's window starts after the previous
-- deal day of the contact), at most one window holds an activity's date, so one left join marks
-- it, without a range join on every (activity, deal) pair, a GROUP BY and a join back.
with deal_days as (
    select distinct contact_id, created_date
    from staging.contact_deals
    where contact_id is not null and created_date is not null
),

conversion_windows as (
    select
        contact_id,
        greatest(
            date_sub(created_date, interval 14 day),
            coalesce(
                date_add(lag(created_date) over (partition by contact_id order by created_date), interval 1 day),
                date_sub(created_date, interval 14 day)
            )
        ) as start_date,
        created_date as end_date
    from deal_days
),

final as (
    select
        a.engagement_id,
        a.channel,
        a.owner_id,
        a.owner_name,
        a.activity_date,
        a.is_response,
        ac.contact_id,
        w.contact_id is not null as is_converted
    from staging.activities as a
    left join staging.activity_contacts as ac on a.engagement_id = ac.engagement_id
    left join conversion_windows as w
        on ac.contact_id = w.contact_id and a.activity_date between w.start_date and w.end_date
)

select * from final
