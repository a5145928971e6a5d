-- HubSpot owners (sales reps) with a display name.
with final as (
    select
        owner_id,
        coalesce(
            nullif(trim(concat(coalesce(first_name, ''), ' ', coalesce(last_name, ''))), ''),
            nullif(trim(email), ''),
            concat('Owner ', cast(owner_id as string))
        ) as owner_name
    from hubspot.owner
)

select * from final
