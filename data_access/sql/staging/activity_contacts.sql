-- The contacts each HubSpot engagement is associated with (engagement_contact): one row per
-- (engagement_id, contact_id).
with final as (
    select distinct engagement_id, contact_id
    from hubspot.engagement_contact
    where contact_id is not null and engagement_id is not null
)

select * from final
