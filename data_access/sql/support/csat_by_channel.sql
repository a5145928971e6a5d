-- csat_by_channel: CSAT (1–5) responses of the 30 days ending on @as_of_date by channel.
with responses as (
    select channel, score
    from staging.survey_responses
    where scale = 'csat_5' and submitted_date between date_sub(@as_of_date, interval 29 day) and @as_of_date
),

final as (
    select
        channel,
        count(*) as response_count,
        count(if(score >= 4, 1, null)) as satisfied_count,
        safe_divide(count(if(score >= 4, 1, null)), count(*)) as csat_rate,
        round(avg(score), 2) as mean_score
    from responses
    group by 1
)

select * from final order by response_count desc, channel
