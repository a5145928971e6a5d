-- churned_customers: customers with revenue in the prior 365-day window and
-- none in the 365 days ending on @as_of_date.
select
    customer_id,
    customer_name,
    segment,
    last_invoice_date,
    prior_usd
from intermediate.customer_windows
where prior_usd > 0 and current_usd <= 0
order by prior_usd desc, customer_id
