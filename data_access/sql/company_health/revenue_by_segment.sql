-- revenue_by_segment: year-to-date revenue per customer segment (QuickBooks
-- customer type = industry) and month.
select
    segment,
    month,
    sum(revenue_usd) as revenue_usd,
    count(distinct customer_id) as customer_count
from intermediate.revenue_ytd_by_customer
group by 1, 2
order by month, revenue_usd desc
