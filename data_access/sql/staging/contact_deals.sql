-- The creation dates of each HubSpot contact's deals (deal_contact; live deals of any pipeline,
-- deleted ones out): one row per (contact_id, deal_id).
with deals as (
    select deal_id, cast(property_createdate as date) as created_date
    from hubspot.deal
    where not coalesce(is_deleted, false) and property_createdate is not null
),

final as (
    select distinct dc.contact_id, dc.deal_id, d.created_date
    from hubspot.deal_contact as dc
    join deals as d on dc.deal_id = d.deal_id
    where dc.contact_id is not null
)

select * from final
