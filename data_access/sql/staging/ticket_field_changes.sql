-- Zendesk ticket field history, the fields Pulse reads: status (new, open, pending, hold, solved,
-- closed), priority and satisfaction_score (offered, unoffered, good, bad). One row per change.
with final as (
    select
        ticket_id,
        lower(field_name) as field_name,
        updated as changed_at,
        lower(value) as value
    from zendesk.ticket_field_history
    where lower(field_name) in ('status', 'priority', 'satisfaction_score') and updated is not null
)

select * from final
