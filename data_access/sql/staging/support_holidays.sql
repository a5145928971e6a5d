-- Holidays of Zendesk schedules (schedule_holiday): whole local days, start_date … end_date inclusive.
with final as (
    select schedule_id, name as holiday_name, start_date, end_date
    from zendesk.schedule_holiday
    where not coalesce(_fivetran_deleted, false) and start_date is not null
)

select * from final
