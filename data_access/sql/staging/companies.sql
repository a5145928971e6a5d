-- HubSpot companies with their name and industry (the segment a deal's company is counted in; the
-- demo's industries are the QuickBooks customer types). A blank industry is 'No industry'.
with final as (
    select
        id as company_id,
        coalesce(property_name, 'Unknown company') as company_name,
        coalesce(nullif(trim(property_industry), ''), 'No industry') as segment
    from hubspot.company
)

select * from final
