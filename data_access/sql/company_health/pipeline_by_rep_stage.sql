-- pipeline_by_rep_stage: open deals closing in the as-of quarter, counted and
-- summed per rep, stage and close month.
with final as (
    select
        owner_id,
        owner_name,
        stage_label,
        stage_order,
        month,
        count(*) as deal_count,
        sum(amount_usd) as amount_usd,
        sum(weighted_usd) as weighted_usd
    from intermediate.open_deals_quarter
    group by 1, 2, 3, 4, 5
)

select * from final order by owner_name, stage_order, month
