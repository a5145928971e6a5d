-- nrr: revenue in the 365 days ending on @as_of_date from customers that had
-- revenue in the 365 days before that ÷ those customers' prior-window revenue.
with cohort as (
    select prior_usd, current_usd
    from intermediate.customer_windows
    where prior_usd > 0
),

final as (
    select
        safe_divide(sum(current_usd), sum(prior_usd)) as value,
        sum(prior_usd) as prior_usd,
        sum(current_usd) as current_usd,
        count(*) as customer_count
    from cohort
)

select * from final
