-- grr: like nrr, with each customer's current revenue capped at its prior
-- revenue (expansion does not count; contraction and churn do).
with cohort as (
    select prior_usd, least(current_usd, prior_usd) as retained_usd
    from intermediate.customer_windows
    where prior_usd > 0
),

final as (
    select
        safe_divide(sum(retained_usd), sum(prior_usd)) as value,
        sum(prior_usd) as prior_usd,
        sum(retained_usd) as retained_usd,
        count(*) as customer_count
    from cohort
)

select * from final
