-- Survey responses the company loads into surveys.response: CSAT on a 1–5 scale (`csat_5`) and
-- NPS on 0–10 (`nps_10`). A response whose score is outside its scale is left out.
with responses as (
    select
        id as response_id,
        respondent,
        customer_id,
        coalesce(nullif(lower(trim(channel)), ''), 'unknown') as channel,
        score,
        lower(trim(scale)) as scale,
        comment,
        submitted_at
    from surveys.response
    where submitted_at is not null and score is not null
),

customers as (
    select customer_id, customer_name
    from staging.customers
),

final as (
    select
        r.response_id,
        r.respondent,
        r.customer_id,
        coalesce(c.customer_name, 'Unknown customer') as customer_name,
        r.channel,
        r.score,
        r.scale,
        r.comment,
        r.submitted_at,
        cast(r.submitted_at as date) as submitted_date
    from responses as r
    left join customers as c on r.customer_id = c.customer_id
    where (r.scale = 'csat_5' and r.score between 1 and 5) or (r.scale = 'nps_10' and r.score between 0 and 10)
)

select * from final
