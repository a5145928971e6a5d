-- HubSpot deal stage history (Fivetran history mode on deal_stage): one row per stage a deal
-- entered, with when it entered (date_entered; _fivetran_start when missing). Consumers order
-- a deal's entries by entered_at, so the history does not depend on Fivetran's
-- _fivetran_start/_fivetran_end bookkeeping.
with final as (
    select
        deal_id,
        value as stage_id,
        coalesce(date_entered, _fivetran_start) as entered_at,
        cast(coalesce(date_entered, _fivetran_start) as date) as entered_date
    from hubspot.deal_stage
    where value is not null
)

select * from final
