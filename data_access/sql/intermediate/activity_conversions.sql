-- Each rep activity (staging.activities) with the contacts it touched (staging.activity_contacts) and
-- whether that contact converted: a live HubSpot deal of theirs (staging.contact_deals) was
-- created 0–14 days after the activity's date (day 14 in, day 15 out; UTC dates). An activity on no
-- contact has contact_id NULL and converts nothing.
with touches as (
    select a.engagement_id, a.channel, a.owner_id, a.owner_name, a.activity_date, a.is_response, ac.contact_id
    from staging.activities as a
    left join staging.activity_contacts as ac on a.engagement_id = ac.engagement_id
),

converted as (
    select t.engagement_id, t.contact_id
    from touches as t
    join staging.contact_deals as cd
        on t.contact_id = cd.contact_id
        and date_diff(cd.created_date, t.activity_date, day) between 0 and 14
    group by 1, 2
),

final as (
    select
        t.engagement_id,
        t.channel,
        t.owner_id,
        t.owner_name,
        t.activity_date,
        t.is_response,
        t.contact_id,
        c.engagement_id is not null as is_converted
    from touches as t
    left join converted as c on t.engagement_id = c.engagement_id and t.contact_id = c.contact_id
)

select * from final
