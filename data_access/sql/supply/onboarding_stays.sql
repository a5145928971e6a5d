-- onboarding_stays: the Onboarding-stage stays behind onboarding_days_in_stage (ended in the 90
-- days ending on @as_of_date) and the venues still in Onboarding on @as_of_date, with where
-- each went next; month = the month the stay ended (the as-of month for open stays).
with stays as (
    select *
    from intermediate.supply_stage_stays
    where is_onboarding
        and (left_date is null or left_date between date_sub(@as_of_date, interval 89 day) and @as_of_date)
),

next_stage as (
    select o.deal_id, o.entered_date, min(n.stage_label) as next_stage_label
    from stays as o
    inner join intermediate.supply_stage_stays as n
        on o.deal_id = n.deal_id and n.entered_date = o.left_date and n.stage_id != o.stage_id
    group by 1, 2
),

final as (
    select
        s.deal_id,
        s.venue_name,
        s.owner_id,
        s.owner_name,
        s.entered_date,
        s.left_date,
        if(s.left_date is null, 'Still onboarding', coalesce(n.next_stage_label, 'Moved on')) as outcome,
        cast(date_trunc(coalesce(s.left_date, @as_of_date), month) as date) as month,
        s.stage_days as onboarding_days
    from stays as s
    left join next_stage as n on s.deal_id = n.deal_id and s.entered_date = n.entered_date
)

select * from final order by onboarding_days desc, deal_id
