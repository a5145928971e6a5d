-- customer_concentration: the largest customer's share of revenue in the 365
-- days ending on @as_of_date. NULL when there is no revenue in the window.
with by_customer as (
    select customer_id, customer_name, current_usd
    from intermediate.customer_windows
    where current_usd > 0
),

ranked as (
    select
        customer_name,
        current_usd,
        sum(current_usd) over () as total_usd,
        row_number() over (order by current_usd desc, customer_id) as rn
    from by_customer
),

final as (
    select
        safe_divide(current_usd, total_usd) as value,
        customer_name as top_customer_name,
        current_usd as top_customer_usd,
        total_usd
    from ranked
    where rn = 1
)

select * from final
