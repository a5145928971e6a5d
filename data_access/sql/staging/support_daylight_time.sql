-- Daylight-saving periods of Zendesk time zones (zendesk daylight_time): in [start, end) UTC the
-- zone's offset is its standard offset plus daylight_offset hours.
with final as (
    select
        time_zone,
        daylight_start_utc as start_at,
        daylight_end_utc as end_at,
        coalesce(daylight_offset, 0) * 60 as daylight_offset_minutes
    from zendesk.daylight_time
    where daylight_start_utc is not null and daylight_end_utc is not null
)

select * from final
