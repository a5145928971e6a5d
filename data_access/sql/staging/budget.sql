-- The operating budget (finance.budget): budgeted USD per calendar month and expense
-- category, the category being the top-level QuickBooks expense account's name (the
-- category of staging.accounts). Loaded from the company's plan (see docs/data_model.md).
with budget as (
    select cast(month as date) as budget_month, category, budget_usd
    from finance.budget
    where not coalesce(_fivetran_deleted, false) and month is not null and category is not null
),

final as (
    select
        cast(date_trunc(budget_month, month) as date) as month,
        category,
        sum(coalesce(budget_usd, 0)) as budget_usd
    from budget
    group by 1, 2
)

select * from final
