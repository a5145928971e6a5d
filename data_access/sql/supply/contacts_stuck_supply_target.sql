-- contacts_stuck_supply_target: venues (supply deals, one per venue) in the Supply Target stage
-- for more than 14 days on @as_of_date (intermediate.supply_targets). NULL when the supply
-- pipeline has no deals at all (no CRM data).
with targets as (
    select stage_age_days
    from intermediate.supply_targets
),

crm as (
    select count(*) as supply_deal_count
    from staging.supply_deals
),

counts as (
    select
        count(if(stage_age_days > 14, 1, null)) as stuck_count,
        count(*) as in_target_count,
        max(stage_age_days) as oldest_days
    from targets
),

final as (
    select
        if(c.supply_deal_count > 0, n.stuck_count, null) as value,
        n.in_target_count,
        n.oldest_days
    from crm as c
    cross join counts as n
)

select * from final
