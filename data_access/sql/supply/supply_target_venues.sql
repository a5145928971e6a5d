-- supply_target_venues: every venue in the Supply Target stage on @as_of_date with its days in
-- the stage; is_stuck marks those over 14 days (the ones contacts_stuck_supply_target counts).
select
    deal_id,
    venue_name,
    owner_id,
    owner_name,
    stage_entered_date,
    stage_age_days,
    stage_age_days > 14 as is_stuck
from intermediate.supply_targets
order by stage_age_days desc, deal_id
