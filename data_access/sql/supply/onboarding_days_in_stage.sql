-- onboarding_days_in_stage: average days venues spent in the Onboarding stage, over the stays
-- that ended (the deal moved on) in the 90 days ending on @as_of_date (stage history in
-- intermediate.supply_stage_stays). NULL when no onboarding stay ended in the window.
with ended as (
    select stage_days
    from intermediate.supply_stage_stays
    where is_onboarding and left_date between date_sub(@as_of_date, interval 89 day) and @as_of_date
),

final as (
    select
        avg(stage_days) as value,
        count(*) as stay_count,
        max(stage_days) as longest_days
    from ended
)

select * from final
