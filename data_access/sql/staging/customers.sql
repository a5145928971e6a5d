-- QuickBooks customers with their display name and segment (the customer type,
-- which Pulse uses as the customer's industry). Deleted customers are kept so
-- their historical revenue still has a name.
with customer_types as (
    select id as customer_type_id, name as segment
    from quickbooks.customer_type
    where not coalesce(_fivetran_deleted, false)
),

final as (
    select
        c.id as customer_id,
        coalesce(
            nullif(trim(c.display_name), ''),
            nullif(trim(c.company_name), ''),
            concat('Customer ', cast(c.id as string))
        ) as customer_name,
        coalesce(t.segment, 'Unclassified') as segment
    from quickbooks.customer as c
    left join customer_types as t on c.customer_type_id = t.customer_type_id
)

select * from final
