-- csat_score: share of CSAT (1–5) responses submitted in the 30 days ending on @as_of_date that
-- scored 4 or 5 ("% satisfied"), with the mean score. NULL when there is no response.
with responses as (
    select score
    from staging.survey_responses
    where scale = 'csat_5' and submitted_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

final as (
    select
        safe_divide(count(if(score >= 4, 1, null)), count(*)) as value,
        avg(score) as mean_score,
        count(*) as response_count,
        count(if(score >= 4, 1, null)) as satisfied_count
    from responses
)

select * from final
