-- opex_by_category: year-to-date operating expense per category and month, actual and budget
-- (the drill-down sums the months and recomputes actual ÷ budget).
select category, month, actual_usd, budget_usd
from intermediate.opex_ytd
order by category, month
