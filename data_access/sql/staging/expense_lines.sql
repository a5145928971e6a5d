-- QuickBooks expense lines: purchase lines (card, check and cash expenses) and bill lines
-- (vendor bills) posted to an account whose classification is Expense (operating expenses,
-- cost of goods sold and other expenses; is_operating marks account_type 'Expense'), in USD
-- (amount × exchange_rate), by transaction date. Soft-deleted purchases and bills excluded;
-- purchase credits (refunds to a card) count negative. Item-based lines (no expense account)
-- are not read.
with purchases as (
    select
        id as purchase_id,
        cast(transaction_date as date) as transaction_date,
        vendor_id,
        coalesce(exchange_rate, 1) as exchange_rate,
        coalesce(credit, false) as is_credit
    from quickbooks.purchase
    where not coalesce(_fivetran_deleted, false)
),

purchase_lines as (
    select purchase_id, account_expense_account_id as account_id, amount
    from quickbooks.purchase_line
    where account_expense_account_id is not null
),

bills as (
    select
        id as bill_id,
        cast(transaction_date as date) as transaction_date,
        vendor_id,
        coalesce(exchange_rate, 1) as exchange_rate
    from quickbooks.bill
    where not coalesce(_fivetran_deleted, false)
),

bill_lines as (
    select bill_id, account_expense_account_id as account_id, amount
    from quickbooks.bill_line
    where account_expense_account_id is not null
),

lines as (
    select
        'purchase' as transaction_type,
        p.purchase_id as transaction_id,
        p.transaction_date,
        p.vendor_id,
        l.account_id,
        l.amount * p.exchange_rate * if(p.is_credit, -1, 1) as amount_usd
    from purchase_lines as l
    inner join purchases as p on l.purchase_id = p.purchase_id
    union all
    select
        'bill' as transaction_type,
        b.bill_id as transaction_id,
        b.transaction_date,
        b.vendor_id,
        l.account_id,
        l.amount * b.exchange_rate as amount_usd
    from bill_lines as l
    inner join bills as b on l.bill_id = b.bill_id
),

final as (
    select
        l.transaction_type,
        l.transaction_id,
        l.transaction_date,
        l.vendor_id,
        l.account_id,
        a.account_name,
        a.category,
        a.account_type,
        a.account_type = 'Expense' as is_operating,
        l.amount_usd
    from lines as l
    inner join staging.accounts as a on l.account_id = a.account_id
    where a.classification = 'Expense' and l.transaction_date is not null
)

select * from final
