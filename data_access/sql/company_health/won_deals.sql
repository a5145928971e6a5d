-- won_deals: deals won with close date in the 365 days ending on @as_of_date
-- (behind avg_deal_size and sales_cycle_days), one row per deal.
select
    deal_id,
    deal_name,
    company_name,
    owner_id,
    owner_name,
    amount_usd,
    created_date,
    close_date,
    cast(date_trunc(close_date, month) as date) as month,
    date_diff(close_date, created_date, day) as cycle_days
from staging.deals
where is_won and close_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
order by close_date desc, deal_id
