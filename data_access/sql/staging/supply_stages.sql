-- The stages of the supply (venue onboarding) pipeline and their role in Pulse's supply
-- metrics. The one place that names the supply pipeline and its stages: a company whose
-- HubSpot portal uses other ids replaces this file (PULSE_SQL_OVERRIDES_DIR/staging/).
--   is_target: "Supply Target" (venue identified, not contacted yet)
--   is_onboarding: "Onboarding" (contract and setup in progress)
--   is_won: the venue is live (closed won); is_lost: not a fit (closed, not won)
with stages as (
    select
        stage_id,
        pipeline_id,
        label,
        display_order,
        coalesce(is_closed, false) as is_closed,
        coalesce(closed_won, false) as is_won
    from hubspot.deal_pipeline_stage
    where not coalesce(_fivetran_deleted, false)
        and pipeline_id in unnest(@supply_pipeline_ids)
),

final as (
    select
        pipeline_id,
        stage_id,
        coalesce(label, stage_id) as stage_label,
        coalesce(display_order, 999) as stage_order,
        is_closed,
        is_won,
        is_closed and not is_won as is_lost,
        stage_id = 'supply_target' as is_target,
        stage_id = 'supply_onboarding' as is_onboarding
    from stages
)

select * from final
