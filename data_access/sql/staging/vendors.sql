-- QuickBooks vendors with a display name (soft-deleted vendors kept so old bills keep a name).
with final as (
    select
        id as vendor_id,
        coalesce(
            nullif(trim(display_name), ''),
            nullif(trim(company_name), ''),
            concat('Vendor ', cast(id as string))
        ) as vendor_name
    from quickbooks.vendor
)

select * from final
