-- open_deals: the open deals behind pipeline_coverage (close date in the as-of
-- quarter) with name, company, rep, stage, amount, close date and age in days.
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
    month,
    age_days
from intermediate.open_deals_quarter
order by amount_usd desc, deal_id
