-- revenue_share_by_customer: revenue per customer in the 365 days ending on
-- @as_of_date (the window of customer_concentration), ranked.
select
    customer_id,
    customer_name,
    segment,
    current_usd as revenue_usd
from intermediate.customer_windows
where current_usd > 0
order by current_usd desc, customer_id
