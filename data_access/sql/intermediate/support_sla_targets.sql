-- Support SLA targets by Zendesk priority, in business minutes of the support schedule: first
-- reply and full resolution. Governed on Settings › Support SLA (targets.SupportSlaTargets; defaults
-- from seed 001, whose critical / medium are Zendesk's urgent / normal) and bound by the refresh as
-- FLOAT64 parameters (refresh.query_params).
with final as (
    select
        'urgent' as priority,
        1 as priority_order,
        @sla_urgent_first_reply_minutes as first_reply_target_minutes,
        @sla_urgent_resolution_minutes as resolution_target_minutes
    union all
    select 'high', 2, @sla_high_first_reply_minutes, @sla_high_resolution_minutes
    union all
    select 'normal', 3, @sla_normal_first_reply_minutes, @sla_normal_resolution_minutes
    union all
    select 'low', 4, @sla_low_first_reply_minutes, @sla_low_resolution_minutes
)

select * from final
