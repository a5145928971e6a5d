-- undated_deals_by_rep: per rep, how many open sales-pipeline deals have no close date and their
-- amount (intermediate.open_deals_undated). Deals without an owner are the rep "Unassigned".
with final as (
    select
        any_value(owner_id) as owner_id,
        any_value(owner_name) as owner_name,
        count(*) as deal_count,
        sum(amount_usd) as amount_usd,
        max(age_days) as oldest_age_days
    from intermediate.open_deals_undated
    group by coalesce(owner_id, -1)
)

select * from final order by deal_count desc, amount_usd desc, owner_name
