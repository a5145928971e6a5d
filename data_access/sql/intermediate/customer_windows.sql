-- Per customer: revenue in the 365 days ending on @as_of_date (current) and in
-- the 365 days before that (prior), for NRR, GRR and churn. Windows inclusive.
with windows as (
    select
        customer_id,
        sum(if(transaction_date between date_sub(@as_of_date, interval 364 day) and @as_of_date,
            amount_usd, 0)) as current_usd,
        sum(if(transaction_date between date_sub(@as_of_date, interval 729 day)
            and date_sub(@as_of_date, interval 365 day), amount_usd, 0)) as prior_usd,
        max(if(transaction_date <= @as_of_date, transaction_date, null)) as last_invoice_date
    from staging.revenue_lines
    where transaction_date between date_sub(@as_of_date, interval 729 day) and @as_of_date
    group by customer_id
),

final as (
    select
        w.customer_id,
        coalesce(c.customer_name, concat('Customer ', cast(w.customer_id as string))) as customer_name,
        coalesce(c.segment, 'Unclassified') as segment,
        w.prior_usd,
        w.current_usd,
        w.last_invoice_date
    from windows as w
    left join staging.customers as c on w.customer_id = c.customer_id
)

select * from final
