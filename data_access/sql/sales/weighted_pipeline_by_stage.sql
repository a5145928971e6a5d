-- weighted_pipeline_by_stage: the open deals of weighted_pipeline_usd (close date in the as-of
-- quarter) summed per rep, close month and stage, with the stage's probability. A pipeline
-- scenario (data_access/scenarios.py) is a weighted sum of these per-stage rows in memory:
-- Σ amount_usd × min(1, probability × the stage's weight),
-- stages named by their label; no SQL is built at request time.
with open_deals as (
    select owner_id, owner_name, month, stage_label, stage_order, probability, amount_usd
    from intermediate.open_deals_quarter
),

final as (
    select
        owner_id,
        owner_name,
        month,
        stage_label,
        stage_order,
        probability,
        count(*) as deal_count,
        sum(amount_usd) as amount_usd,
        sum(amount_usd * probability) as weighted_usd
    from open_deals
    group by 1, 2, 3, 4, 5, 6
)

select * from final order by owner_name, month, stage_order
