-- deals_by_stage_age: the open deals of pipeline_usd (close date in the as-of quarter) with how
-- long each has sat in its current stage: days from its latest entry into that stage (HubSpot
-- deal_stage history, entries up to @as_of_date) to @as_of_date; a deal without history counts
-- from its create date. Buckets 0-7, 8-30, 31-60, 61-90 and 90+ days.
with open_deals as (
    select q.*, d.stage_id, d.created_date
    from intermediate.open_deals_quarter as q
    inner join staging.deals as d on q.deal_id = d.deal_id
),

stage_entries as (
    select h.deal_id, max(h.entered_date) as stage_entered_date
    from staging.deal_stage_history as h
    inner join open_deals as o on h.deal_id = o.deal_id and h.stage_id = o.stage_id
    where h.entered_date <= @as_of_date
    group by 1
),

aged as (
    select
        o.*,
        coalesce(e.stage_entered_date, o.created_date) as stage_entered_date,
        date_diff(@as_of_date, coalesce(e.stage_entered_date, o.created_date), day) as stage_age_days
    from open_deals as o
    left join stage_entries as e on o.deal_id = e.deal_id
),

final as (
    select
        deal_id,
        deal_name,
        company_name,
        owner_id,
        owner_name,
        stage_label,
        stage_order,
        amount_usd,
        stage_entered_date,
        stage_age_days,
        case
            when stage_age_days <= 7 then '0-7 days'
            when stage_age_days <= 30 then '8-30 days'
            when stage_age_days <= 60 then '31-60 days'
            when stage_age_days <= 90 then '61-90 days'
            else '90+ days'
        end as age_bucket,
        case
            when stage_age_days <= 7 then 1
            when stage_age_days <= 30 then 2
            when stage_age_days <= 60 then 3
            when stage_age_days <= 90 then 4
            else 5
        end as bucket_order,
        close_date,
        month
    from aged
)

select * from final order by stage_age_days desc, deal_id
