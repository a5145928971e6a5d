-- Marketplace inventory (marketplace.inventory, synced from the company's app database): one
-- row per venue space hosts can book, with the venue (its HubSpot company id), event type,
-- capacity (people per activation) and when it went live / was taken off. Soft-deleted rows
-- excluded.
with final as (
    select
        id as space_id,
        venue_company_id,
        coalesce(nullif(trim(venue_name), ''), concat('Venue ', cast(venue_company_id as string))) as venue_name,
        coalesce(nullif(trim(space_name), ''), 'Main space') as space_name,
        coalesce(nullif(lower(trim(event_type)), ''), 'other') as event_type,
        coalesce(capacity, 0) as capacity,
        cast(onboarded_date as date) as onboarded_date,
        cast(offboarded_date as date) as offboarded_date
    from marketplace.inventory
    where not coalesce(_fivetran_deleted, false) and onboarded_date is not null
)

select * from final
