-- nrr_by_customer: each customer with prior-window revenue, its prior and
-- current 365-day revenue, and the change split into expansion/contraction/churn.
with cohort as (
    select customer_id, customer_name, segment, prior_usd, current_usd
    from intermediate.customer_windows
    where prior_usd > 0
),

final as (
    select
        customer_id,
        customer_name,
        segment,
        prior_usd,
        current_usd,
        least(current_usd, prior_usd) as retained_usd,
        greatest(current_usd - prior_usd, 0) as expansion_usd,
        if(current_usd > 0, greatest(prior_usd - current_usd, 0), 0) as contraction_usd,
        if(current_usd <= 0, prior_usd, 0) as churned_usd,
        case
            when current_usd <= 0 then 'churned'
            when current_usd > prior_usd then 'expanded'
            when current_usd < prior_usd then 'contracted'
            else 'flat'
        end as movement
    from cohort
)

select * from final order by prior_usd desc, customer_id
