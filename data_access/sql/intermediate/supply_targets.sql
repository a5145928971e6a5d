-- Venues whose supply deal is in the Supply Target stage now (its current stage; deals created
-- after @as_of_date left out), with the date it last entered that stage on or before
-- @as_of_date (its create date when the history has none) and the days since.
with targets as (
    select deal_id, venue_name, owner_id, owner_name, stage_id, created_date
    from staging.supply_deals
    where is_target and created_date <= @as_of_date
),

entries as (
    select h.deal_id, max(h.entered_date) as entered_date
    from staging.deal_stage_history as h
    inner join targets as t on h.deal_id = t.deal_id and h.stage_id = t.stage_id
    where h.entered_date <= @as_of_date
    group by 1
),

final as (
    select
        t.deal_id,
        t.venue_name,
        t.owner_id,
        t.owner_name,
        coalesce(e.entered_date, t.created_date) as stage_entered_date,
        date_diff(@as_of_date, coalesce(e.entered_date, t.created_date), day) as stage_age_days
    from targets as t
    left join entries as e on t.deal_id = e.deal_id
)

select * from final
