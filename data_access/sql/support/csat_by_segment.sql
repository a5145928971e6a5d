-- csat_by_segment: CSAT (1–5) responses of the 30 days ending on @as_of_date by the segment of the
-- responding customer (staging.customers; a response without a known customer is 'No customer').
with responses as (
    select coalesce(c.segment, 'No customer') as segment, r.score
    from staging.survey_responses as r
    left join staging.customers as c on r.customer_id = c.customer_id
    where r.scale = 'csat_5' and r.submitted_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

final as (
    select
        segment,
        count(*) as response_count,
        count(if(score >= 4, 1, null)) as satisfied_count,
        safe_divide(count(if(score >= 4, 1, null)), count(*)) as csat_rate,
        round(avg(score), 2) as mean_score
    from responses
    group by 1
)

select * from final order by response_count desc, segment
