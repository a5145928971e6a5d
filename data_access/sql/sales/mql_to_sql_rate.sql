-- mql_to_sql_rate: of the contacts that became MQL in the 90 days ending on @as_of_date, the share
-- that reached SQL by then (intermediate.lead_funnel: a contact that skipped MQL and went straight to
-- SQL or later counts as an MQL on that day, and as converted). NULL when no contact became MQL.
with mqls as (
    select sql_date, is_mql_skipped
    from intermediate.lead_funnel
    where mql_date between date_sub(@as_of_date, interval 89 day) and @as_of_date
),

final as (
    select
        safe_divide(count(sql_date), count(*)) as value,
        count(*) as mql_count,
        count(sql_date) as sql_count,
        count(if(is_mql_skipped, 1, null)) as skipped_mql_count
    from mqls
)

select * from final
