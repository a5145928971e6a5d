-- Support SLA targets by Zendesk priority, in business minutes of the support schedule: first
-- reply and full resolution. The defaults of seed 001 (its critical / medium are Zendesk's urgent /
-- normal). Documented constants, edited here (one place) until Settings governs them.
with final as (
    select 'urgent' as priority, 1 as priority_order, 60 as first_reply_target_minutes, 240 as resolution_target_minutes
    union all
    select 'high', 2, 120, 1440
    union all
    select 'normal', 3, 240, 4320
    union all
    select 'low', 4, 480, 7200
)

select * from final
