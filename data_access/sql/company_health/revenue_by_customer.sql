-- revenue_by_customer: year-to-date revenue per customer and month (the
-- drill-down sums months and ranks customers, so a month filter re-ranks).
select customer_id, customer_name, segment, month, revenue_usd
from intermediate.revenue_ytd_by_customer
order by month, revenue_usd desc
