-- zendesk_satisfaction: Zendesk's good/bad satisfaction ratings given in the 30 days ending on
-- @as_of_date (ticket field history satisfaction_score; a ticket's latest rating in the window):
-- good ÷ (good + bad). NULL when there is no rating.
with ratings as (
    select ticket_id, value as rating
    from staging.ticket_field_changes
    where field_name = 'satisfaction_score' and value in ('good', 'bad')
        and cast(changed_at as date) between date_sub(@as_of_date, interval 29 day) and @as_of_date
    qualify row_number() over (partition by ticket_id order by changed_at desc, value) = 1
),

final as (
    select
        safe_divide(count(if(rating = 'good', 1, null)), count(*)) as value,
        count(if(rating = 'good', 1, null)) as good_count,
        count(if(rating = 'bad', 1, null)) as bad_count
    from ratings
)

select * from final
