-- supply_onboarding_funnel: supply deals created in the 365 days ending on @as_of_date, per
-- stage of the pipeline (Not a Fit left out): how many reached it (entered it or a later stage
-- by @as_of_date, so skipped stages count as passed; a deal without history counts its current
-- stage), how many are in it now (current stage), and the median days spent in it over the
-- stays that ended (the won stage is final: no time in stage).
with cohort as (
    select deal_id, stage_id, stage_order, is_lost
    from staging.supply_deals
    where created_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
),

cohort_stays as (
    select s.*
    from intermediate.supply_stage_stays as s
    inner join cohort as c on s.deal_id = c.deal_id
),

stages as (
    select stage_id, stage_label, stage_order, is_won
    from staging.supply_stages
    where not is_lost
),

reached as (
    select deal_id, stage_order
    from cohort_stays
    where not is_lost
    union all
    select deal_id, stage_order
    from cohort
    where not is_lost
),

furthest as (
    select deal_id, max(stage_order) as max_order
    from reached
    group by 1
),

current_stage as (
    select stage_id, count(*) as current_count
    from cohort
    group by 1
),

ended as (
    select stage_id, percentile_cont(stage_days, 0.5) over (partition by stage_id) as median_days
    from cohort_stays
    where left_date is not null
),

medians as (
    select stage_id, max(median_days) as median_stage_days
    from ended
    group by 1
),

final as (
    select
        s.stage_label,
        s.stage_order,
        (select count(*) from furthest as f where f.max_order >= s.stage_order) as reached_count,
        coalesce(c.current_count, 0) as current_count,
        if(s.is_won, null, m.median_stage_days) as median_stage_days
    from stages as s
    left join current_stage as c on s.stage_id = c.stage_id
    left join medians as m on s.stage_id = m.stage_id
)

select * from final order by stage_order
