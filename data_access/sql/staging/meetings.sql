-- HubSpot meetings (Fivetran engagement_meeting, legacy column layout: start_time, end_time,
-- title, meeting_outcome): one row per meeting and deal it is associated with
-- (engagement_deal; deal_id NULL for a meeting on no deal). Cancelled and rescheduled
-- meetings are left out (a rescheduled meeting is booked again as a new one). The legacy
-- layout has no soft-delete column: HubSpot deletions remove the row. A connector on the v3
-- layout (property_hs_meeting_start_time, property_hs_meeting_outcome, _fivetran_deleted)
-- replaces this file (PULSE_SQL_OVERRIDES_DIR/staging/meetings.sql).
with meetings as (
    select
        engagement_id,
        start_time,
        title,
        upper(coalesce(meeting_outcome, '')) as outcome
    from hubspot.engagement_meeting
    where start_time is not null
),

meeting_deals as (
    -- one row per (engagement_id, deal_id): the association table's key
    select engagement_id, deal_id
    from hubspot.engagement_deal
    where deal_id is not null
),

final as (
    select
        m.engagement_id as meeting_id,
        md.deal_id,
        m.start_time as start_at,
        cast(m.start_time as date) as meeting_date,
        coalesce(m.title, 'Meeting') as title,
        nullif(m.outcome, '') as outcome
    from meetings as m
    left join meeting_deals as md on m.engagement_id = md.engagement_id
    where m.outcome not in ('CANCELED', 'CANCELLED', 'RESCHEDULED')
)

select * from final
