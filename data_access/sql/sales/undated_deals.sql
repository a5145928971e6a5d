-- undated_deals: the open sales-pipeline deals without a close date (the deals behind
-- open_deals_without_close_date), largest first, with company, rep, stage, amount and age in days.
select
    deal_id,
    deal_name,
    company_name,
    owner_id,
    owner_name,
    stage_label,
    amount_usd,
    weighted_usd,
    age_days
from intermediate.open_deals_undated
order by amount_usd desc, deal_id
