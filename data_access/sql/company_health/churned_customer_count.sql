-- churned_customers (count): customers with revenue in the prior 365-day window and none in
-- the 365 days ending on @as_of_date (the list is company_health/churned_customers).
-- NULL when no customer had prior-window revenue (no cohort, as for NRR).
with cohort as (
    select current_usd
    from intermediate.customer_windows
    where prior_usd > 0
),

final as (
    select
        if(count(*) > 0, count(if(current_usd <= 0, 1, null)), null) as value,
        count(*) as cohort_customer_count
    from cohort
)

select * from final
