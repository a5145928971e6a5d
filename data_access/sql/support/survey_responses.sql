-- survey_responses: every CSAT and NPS response submitted in the 30 days ending on @as_of_date,
-- newest first, with its customer, channel and comment.
with final as (
    select
        response_id,
        submitted_date,
        customer_id,
        customer_name,
        channel,
        scale,
        score,
        case
            when scale = 'csat_5' then if(score >= 4, 'satisfied', 'not satisfied')
            when score >= 9 then 'promoter'
            when score >= 7 then 'passive'
            else 'detractor'
        end as score_band,
        comment
    from staging.survey_responses
    where submitted_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
)

select * from final order by submitted_date desc, response_id desc
