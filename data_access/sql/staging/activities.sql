-- HubSpot rep activities (issue 13): one row per call, outgoing email and meeting, with its channel,
-- rep and whether it got a response. Fivetran engagement layout as in the seeds: the parent
-- engagement table (type, owner_id) and one table per type.
--   calls     engagement_call, timed by property_hs_timestamp; connected = HubSpot's standard call
--             outcome "Connected" (property_hs_call_disposition f240bbac-87c9-4f6e-bf70-924b57d47db7).
--   emails    engagement_email with property_hs_email_direction EMAIL (logged/sent by the rep; NULL
--             taken as sent), bounced or failed ones out; replied = an INCOMING_EMAIL later on the same
--             property_hs_email_thread_id. Incoming emails are responses, not activities.
--   meetings  engagement_meeting (legacy layout: start_time, meeting_outcome) booked and not
--             cancelled or rescheduled (queries keep those up to @as_of_date); held = outcome COMPLETED.
-- The rep is the type table's property_hubspot_owner_id, else the engagement's owner_id; none →
-- owner_id NULL, "Unassigned". Soft-deleted calls and emails are out.
with engagements as (
    select id as engagement_id, owner_id
    from hubspot.engagement
),

calls as (
    select
        engagement_id,
        property_hubspot_owner_id as owner_id,
        property_hs_timestamp as occurred_at,
        coalesce(property_hs_call_disposition = 'f240bbac-87c9-4f6e-bf70-924b57d47db7', false) as is_response
    from hubspot.engagement_call
    where not coalesce(_fivetran_deleted, false) and property_hs_timestamp is not null
),

emails as (
    select
        engagement_id,
        property_hubspot_owner_id as owner_id,
        property_hs_timestamp as occurred_at,
        upper(coalesce(property_hs_email_direction, 'EMAIL')) as direction,
        upper(coalesce(property_hs_email_status, 'SENT')) as status,
        property_hs_email_thread_id as thread_id
    from hubspot.engagement_email
    where not coalesce(_fivetran_deleted, false) and property_hs_timestamp is not null
),

replies as (
    select thread_id, min(occurred_at) as first_reply_at
    from emails
    where direction = 'INCOMING_EMAIL' and thread_id is not null
    group by 1
),

sent_emails as (
    select
        e.engagement_id,
        e.owner_id,
        e.occurred_at,
        coalesce(r.first_reply_at > e.occurred_at, false) as is_response
    from emails as e
    left join replies as r on e.thread_id = r.thread_id
    where e.direction in ('EMAIL', 'FORWARDED_EMAIL') and e.status not in ('BOUNCED', 'FAILED')
),

meetings as (
    select
        engagement_id,
        cast(null as int64) as owner_id,
        start_time as occurred_at,
        upper(coalesce(meeting_outcome, '')) = 'COMPLETED' as is_response
    from hubspot.engagement_meeting
    where start_time is not null
        and upper(coalesce(meeting_outcome, '')) not in ('CANCELED', 'CANCELLED', 'RESCHEDULED')
),

-- only the activities without a rep of their own (meetings, a few calls and emails) read the
-- parent engagement for its owner_id: the join then probes ≈ 2M rows, not all 4.8M (scale 200)
unowned as (
    select 'call' as channel, engagement_id, occurred_at, is_response from calls where owner_id is null
    union all
    select 'email' as channel, engagement_id, occurred_at, is_response from sent_emails where owner_id is null
    union all
    select 'meeting' as channel, engagement_id, occurred_at, is_response from meetings
),

activities as (
    select 'call' as channel, engagement_id, owner_id, occurred_at, is_response from calls where owner_id is not null
    union all
    select 'email' as channel, engagement_id, owner_id, occurred_at, is_response from sent_emails where owner_id is not null
    union all
    select u.channel, u.engagement_id, e.owner_id, u.occurred_at, u.is_response
    from unowned as u
    left join engagements as e on u.engagement_id = e.engagement_id
),

owners as (
    select owner_id, owner_name from staging.owners
),

final as (
    select
        a.engagement_id,
        a.channel,
        a.owner_id,
        coalesce(o.owner_name, 'Unassigned') as owner_name,
        a.occurred_at,
        cast(a.occurred_at as date) as activity_date,
        a.is_response
    from activities as a
    left join owners as o on a.owner_id = o.owner_id
)

select * from final
