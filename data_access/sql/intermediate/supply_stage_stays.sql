-- Supply-pipeline stage stays as of @as_of_date: one row per stage entry of a supply deal
-- (HubSpot deal_stage history, entries up to @as_of_date), with the date it left the stage
-- (its next entry; NULL while it is still there as of @as_of_date) and the days it stayed
-- (to @as_of_date for a stay still open).
with entries as (
    select h.deal_id, h.stage_id, h.entered_at, h.entered_date
    from staging.deal_stage_history as h
    inner join staging.supply_deals as d on h.deal_id = d.deal_id
    where h.entered_date <= @as_of_date
),

stays as (
    select
        deal_id,
        stage_id,
        entered_date,
        cast(lead(entered_at) over (partition by deal_id order by entered_at, stage_id) as date) as left_date
    from entries
),

final as (
    select
        s.deal_id,
        d.venue_name,
        d.owner_id,
        d.owner_name,
        s.stage_id,
        coalesce(st.stage_label, s.stage_id) as stage_label,
        coalesce(st.stage_order, 999) as stage_order,
        coalesce(st.is_target, false) as is_target,
        coalesce(st.is_onboarding, false) as is_onboarding,
        coalesce(st.is_won, false) as is_won,
        coalesce(st.is_lost, false) as is_lost,
        d.created_date,
        s.entered_date,
        s.left_date,
        date_diff(coalesce(s.left_date, @as_of_date), s.entered_date, day) as stage_days
    from stays as s
    inner join staging.supply_deals as d on s.deal_id = d.deal_id
    left join staging.supply_stages as st on s.stage_id = st.stage_id
)

select * from final
