-- HubSpot deals of the sales pipeline(s) (@sales_pipeline_ids) with their stage,
-- probability, rep and company; soft-deleted deals and stages excluded.
-- Dates are the UTC calendar dates of HubSpot's timestamps.
with stages as (
    select
        stage_id,
        label as stage_label,
        display_order as stage_order,
        coalesce(probability, 0) as probability,
        coalesce(is_closed, false) as is_closed,
        coalesce(closed_won, false) as is_won
    from hubspot.deal_pipeline_stage
    where not coalesce(_fivetran_deleted, false)
),

deal_companies as (
    select deal_id, min(company_id) as company_id
    from hubspot.deal_company
    group by deal_id
),

companies as (
    select id as company_id, property_name as company_name
    from hubspot.company
),

deals as (
    select
        deal_id,
        property_dealname as deal_name,
        owner_id,
        deal_pipeline_stage_id as stage_id,
        coalesce(property_amount, 0) as amount_usd,
        cast(property_createdate as date) as created_date,
        cast(property_closedate as date) as close_date
    from hubspot.deal
    where not coalesce(is_deleted, false)
        and deal_pipeline_id in unnest(@sales_pipeline_ids)
),

final as (
    select
        d.deal_id,
        coalesce(d.deal_name, concat('Deal ', cast(d.deal_id as string))) as deal_name,
        d.owner_id,
        coalesce(o.owner_name, 'Unassigned') as owner_name,
        dc.company_id,
        coalesce(c.company_name, 'Unknown company') as company_name,
        d.stage_id,
        coalesce(s.stage_label, d.stage_id) as stage_label,
        coalesce(s.stage_order, 999) as stage_order,
        coalesce(s.probability, 0) as probability,
        coalesce(s.is_closed, false) as is_closed,
        coalesce(s.is_won, false) as is_won,
        coalesce(s.is_closed, false) and not coalesce(s.is_won, false) as is_lost,
        d.amount_usd,
        d.created_date,
        d.close_date
    from deals as d
    left join stages as s on d.stage_id = s.stage_id
    left join deal_companies as dc on d.deal_id = dc.deal_id
    left join companies as c on dc.company_id = c.company_id
    left join staging.owners as o on d.owner_id = o.owner_id
)

select * from final
