-- hubspot_pipelines: the portal's deal pipelines (staging.pipelines) and the configured ones,
-- each with its label, deal count and whether Pulse reads it as the sales pipeline
-- (@sales_pipeline_ids) or the supply pipeline (@supply_pipeline_ids). Pulse's own check that
-- its pipeline settings match the portal: a configured pipeline with no deal is a problem the
-- cards, /status and `python -m data_access.check` say in words (data_access/pipelines.py).
with configured as (
    select pipeline_id from unnest(@sales_pipeline_ids) as pipeline_id
    union distinct
    select pipeline_id from unnest(@supply_pipeline_ids) as pipeline_id
),

all_ids as (
    select pipeline_id from staging.pipelines
    union distinct
    select pipeline_id from configured
),

final as (
    select
        a.pipeline_id,
        p.pipeline_label,
        coalesce(p.deal_count, 0) as deal_count,
        coalesce(a.pipeline_id in unnest(@sales_pipeline_ids), false) as is_sales,
        coalesce(a.pipeline_id in unnest(@supply_pipeline_ids), false) as is_supply
    from all_ids as a
    left join staging.pipelines as p on a.pipeline_id is not distinct from p.pipeline_id  -- deals in no pipeline too
)

select * from final order by deal_count desc, pipeline_id
