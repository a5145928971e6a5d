-- time_to_fulfill_by_contract: the contracts behind time_to_fulfill_days (fulfilled in the 365
-- days ending on @as_of_date), one row each, with days from close to fulfilment; month = the
-- month it was fulfilled.
select
    deal_id,
    deal_name,
    customer_name,
    segment,
    owner_id,
    owner_name,
    contract_usd,
    close_date,
    fulfilled_date,
    cast(date_trunc(fulfilled_date, month) as date) as month,
    time_to_fulfill_days
from intermediate.contract_spend
where fulfilled_date between date_sub(@as_of_date, interval 364 day) and @as_of_date
order by fulfilled_date desc, deal_id
