-- open_deals: the open deals behind pipeline_coverage (close date in the as-of quarter), then the
-- open deals with no close date (they count toward no quarter), with name, company, rep, stage,
-- amount, close date, close timing (Overdue | This quarter | No close date) and age in days.
with deals as (
    select * from intermediate.open_deals_quarter
    union all
    select * from intermediate.open_deals_undated
),

final as (
    select
        deal_id,
        deal_name,
        company_name,
        owner_id,
        owner_name,
        stage_label,
        amount_usd,
        weighted_usd,
        close_date,
        case
            when close_date is null then 'No close date'
            when close_date < @as_of_date then 'Overdue'
            else 'This quarter'
        end as close_timing,
        month,
        age_days
    from deals
)

select * from final order by close_date is null, amount_usd desc, deal_id
