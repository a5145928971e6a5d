-- nps_by_month: NPS (0–10) responses by month over the 12 months ending with @as_of_date's:
-- promoters, passives, detractors and the month's NPS (NULL in a month without responses).
with months as (
    select month
    from unnest(generate_date_array(date_sub(cast(date_trunc(@as_of_date, month) as date), interval 11 month),
        cast(date_trunc(@as_of_date, month) as date), interval 1 month)) as month
),

responses as (
    select cast(date_trunc(submitted_date, month) as date) as month, score
    from staging.survey_responses
    where scale = 'nps_10' and submitted_date <= @as_of_date
),

counts as (
    select
        month,
        count(*) as response_count,
        count(if(score >= 9, 1, null)) as promoter_count,
        count(if(score between 7 and 8, 1, null)) as passive_count,
        count(if(score <= 6, 1, null)) as detractor_count
    from responses
    group by 1
),

final as (
    select
        m.month,
        coalesce(c.response_count, 0) as response_count,
        coalesce(c.promoter_count, 0) as promoter_count,
        coalesce(c.passive_count, 0) as passive_count,
        coalesce(c.detractor_count, 0) as detractor_count,
        round(100 * safe_divide(c.promoter_count - c.detractor_count, c.response_count), 1) as nps
    from months as m
    left join counts as c on m.month = c.month
)

select * from final order by month
