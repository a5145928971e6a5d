-- Zendesk ticket comments with their author's role (end-user, agent, admin; a comment by a user
-- Pulse does not know is taken as an end-user's). is_public: visible to the requester (a private
-- comment is an internal note).
with comments as (
    select id as comment_id, ticket_id, created as created_at, coalesce(public, false) as is_public, user_id
    from zendesk.ticket_comment
    where created is not null
),

users as (
    select id as user_id, lower(role) as role
    from zendesk.`user`
),

final as (
    select
        c.comment_id,
        c.ticket_id,
        c.created_at,
        c.is_public,
        c.user_id as author_id,
        coalesce(u.role, 'end-user') as author_role
    from comments as c
    left join users as u on c.user_id = u.user_id
)

select * from final
