-- HubSpot deals of the supply pipeline (one per venue being onboarded), with their current
-- stage, rep and venue (company). Soft-deleted deals excluded. Dates are the UTC calendar
-- dates of HubSpot's timestamps. The pipeline is the one staging.supply_stages names.
with pipelines as (
    select distinct pipeline_id
    from staging.supply_stages
),

deals as (
    select
        deal_id,
        deal_pipeline_id,
        property_dealname as deal_name,
        owner_id,
        deal_pipeline_stage_id as stage_id,
        cast(property_createdate as date) as created_date,
        cast(property_closedate as date) as close_date
    from hubspot.deal
    where not coalesce(is_deleted, false)
),

supply_deals as (
    select d.*
    from deals as d
    inner join pipelines as p on d.deal_pipeline_id = p.pipeline_id
),

deal_companies as (
    select dc.deal_id, min(dc.company_id) as company_id
    from hubspot.deal_company as dc
    inner join supply_deals as sd on dc.deal_id = sd.deal_id
    group by dc.deal_id
),

companies as (
    select id as company_id, property_name as company_name
    from hubspot.company
),

final as (
    select
        d.deal_id,
        coalesce(d.deal_name, concat('Deal ', cast(d.deal_id as string))) as deal_name,
        dc.company_id,
        coalesce(c.company_name, d.deal_name, concat('Deal ', cast(d.deal_id as string))) as venue_name,
        d.owner_id,
        coalesce(o.owner_name, 'Unassigned') as owner_name,
        d.stage_id,
        coalesce(s.stage_label, d.stage_id) as stage_label,
        coalesce(s.stage_order, 999) as stage_order,
        coalesce(s.is_closed, false) as is_closed,
        coalesce(s.is_won, false) as is_won,
        coalesce(s.is_lost, false) as is_lost,
        coalesce(s.is_target, false) as is_target,
        coalesce(s.is_onboarding, false) as is_onboarding,
        d.created_date,
        d.close_date
    from supply_deals as d
    left join staging.supply_stages as s on d.stage_id = s.stage_id
    left join deal_companies as dc on d.deal_id = dc.deal_id
    left join companies as c on dc.company_id = c.company_id
    left join staging.owners as o on d.owner_id = o.owner_id
)

select * from final
