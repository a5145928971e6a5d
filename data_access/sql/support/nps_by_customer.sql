-- nps_by_customer: NPS (0–10) responses of the 30 days ending on @as_of_date by customer.
with responses as (
    select customer_id, customer_name, score
    from staging.survey_responses
    where scale = 'nps_10' and submitted_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

final as (
    select
        customer_id,
        customer_name,
        count(*) as response_count,
        count(if(score >= 9, 1, null)) as promoter_count,
        count(if(score between 7 and 8, 1, null)) as passive_count,
        count(if(score <= 6, 1, null)) as detractor_count,
        round(100 * safe_divide(count(if(score >= 9, 1, null)) - count(if(score <= 6, 1, null)), count(*)), 1) as nps
    from responses
    group by 1, 2
)

select * from final order by nps, response_count desc, customer_name
