-- The reporting windows of @as_of_date, defined once (all inclusive of the as-of date).
select
    cast(date_trunc(@as_of_date, year) as date) as year_start,
    cast(date_trunc(@as_of_date, quarter) as date) as quarter_start,
    date_sub(date_add(cast(date_trunc(@as_of_date, quarter) as date), interval 3 month), interval 1 day)
        as quarter_end
