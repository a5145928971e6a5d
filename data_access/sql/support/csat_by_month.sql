-- csat_by_month: CSAT (1–5) responses by month over the 12 months ending with @as_of_date's
-- (the current month to date): responses, satisfied (4–5), % satisfied and mean score.
with months as (
    select month
    from unnest(generate_date_array(date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month),
        cast(date_trunc(@as_of_date, month) as date), interval 1 month)) as month
),

responses as (
    select cast(date_trunc(submitted_date, month) as date) as month, score
    from staging.survey_responses
    where scale = 'csat_5' and submitted_date <= @as_of_date
),

counts as (
    select month, count(*) as response_count, count(if(score >= 4, 1, null)) as satisfied_count,
        avg(score) as mean_score
    from responses
    group by 1
),

final as (
    select
        m.month,
        coalesce(c.response_count, 0) as response_count,
        coalesce(c.satisfied_count, 0) as satisfied_count,
        safe_divide(c.satisfied_count, c.response_count) as csat_rate,
        round(c.mean_score, 2) as mean_score
    from months as m
    left join counts as c on m.month = c.month
)

select * from final order by month
