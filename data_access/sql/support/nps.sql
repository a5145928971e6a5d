-- nps: Net Promoter Score of the NPS (0–10) responses submitted in the 30 days ending on
-- @as_of_date: % promoters (9–10) − % detractors (0–6), −100 … 100, with the counts and the
-- score of the 30 days before (previous_nps). NULL when there is no response (not 0).
with responses as (
    select
        score,
        submitted_date >= date_sub(@as_of_date, interval 29 day) as is_current
    from staging.survey_responses
    where scale = 'nps_10' and submitted_date between date_sub(@as_of_date, interval 59 day) and @as_of_date
),

periods as (
    select
        is_current,
        count(*) as response_count,
        count(if(score >= 9, 1, null)) as promoter_count,
        count(if(score between 7 and 8, 1, null)) as passive_count,
        count(if(score <= 6, 1, null)) as detractor_count
    from responses
    group by 1
),

current_period as (
    select * from periods where is_current
),

previous_period as (
    select * from periods where not is_current
),

final as (
    select
        (select 100 * safe_divide(promoter_count - detractor_count, response_count) from current_period) as value,
        coalesce((select response_count from current_period), 0) as response_count,
        coalesce((select promoter_count from current_period), 0) as promoter_count,
        coalesce((select passive_count from current_period), 0) as passive_count,
        coalesce((select detractor_count from current_period), 0) as detractor_count,
        (select 100 * safe_divide(promoter_count - detractor_count, response_count) from previous_period)
            as previous_nps
)

select * from final
