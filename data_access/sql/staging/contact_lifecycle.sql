-- HubSpot contacts (deleted ones out) with the time each entered the lifecycle stages of the lead
-- funnel, as HubSpot records them: property_hs_lifecyclestage_<stage>_date. Portals whose stages
-- are custom read other properties (hs_v2_date_entered_<stage id>): PULSE_HUBSPOT_LIFECYCLE_DATE_PROPERTIES
-- renames these five columns on the parsed SQL at refresh (data_access.warehouse.lifecycle_columns).
-- A contact with none of the five dates never entered the funnel and is left out.
with contacts as (
    select
        id as contact_id,
        cast(property_hs_lifecyclestage_lead_date as timestamp) as lead_entered_at,
        cast(property_hs_lifecyclestage_marketingqualifiedlead_date as timestamp) as mql_entered_at,
        cast(property_hs_lifecyclestage_salesqualifiedlead_date as timestamp) as sql_entered_at,
        cast(property_hs_lifecyclestage_opportunity_date as timestamp) as opportunity_entered_at,
        cast(property_hs_lifecyclestage_customer_date as timestamp) as customer_entered_at
    from hubspot.contact
    where not coalesce(_fivetran_deleted, false)
),

final as (
    select *
    from contacts
    where lead_entered_at is not null or mql_entered_at is not null or sql_entered_at is not null
        or opportunity_entered_at is not null or customer_entered_at is not null
)

select * from final
