-- HubSpot deal pipelines as the portal has them: every pipeline id that holds deals (not
-- soft-deleted) or is defined, with its label and how many deals it holds.
with deal_counts as (
    select deal_pipeline_id as pipeline_id, count(*) as deal_count
    from hubspot.deal
    where not coalesce(is_deleted, false)
    group by 1
),

labels as (
    select pipeline_id, min(label) as pipeline_label
    from hubspot.deal_pipeline
    where not coalesce(_fivetran_deleted, false)
    group by 1
),

final as (
    select
        coalesce(c.pipeline_id, l.pipeline_id) as pipeline_id,
        l.pipeline_label,
        coalesce(c.deal_count, 0) as deal_count
    from deal_counts as c
    full outer join labels as l on c.pipeline_id = l.pipeline_id
)

select * from final
