-- recent_onboardings: venues onboarded (supply deal closed won) in the 90 days ending on
-- @as_of_date, with days from the deal's creation to onboarding; month = onboarding month.
select
    deal_id,
    venue_name,
    owner_id,
    owner_name,
    created_date,
    close_date as onboarded_date,
    cast(date_trunc(close_date, month) as date) as month,
    date_diff(close_date, created_date, day) as onboarding_cycle_days
from staging.supply_deals
where is_won and close_date between date_sub(@as_of_date, interval 89 day) and @as_of_date
order by close_date desc, deal_id
