"""MonthSums: a month range re-aggregated from running sums equals filtering and grouping the rows."""
from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from data_access.catalog import Chart, View, load_catalog
from data_access.metrics import MonthSums, view_frame

CATALOG = load_catalog()


def _view(**extra) -> View:
    base = dict(id="v", title="V", query="company_health/revenue_by_customer", filters=["month"],
                group_by=["customer_id", "customer_name"], chart=Chart(kind="hbar", x="revenue_usd", y="customer_name"))
    return View(**{**base, **extra})


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    ids = rng.integers(1, 40, n)
    months = pd.to_datetime([f"2026-{m:02d}-01" for m in rng.integers(1, 13, n)])
    revenue = rng.normal(5000, 3000, n).round(2)
    revenue[rng.random(n) < 0.05] = np.nan
    count = pd.array(rng.integers(0, 9, n), dtype="Int64")
    count[rng.random(n) < 0.05] = pd.NA
    names = pd.array([f"Customer {i}" if i % 7 else None for i in ids], dtype="string")  # some keys missing
    return pd.DataFrame({"customer_id": ids, "customer_name": names, "month": months, "revenue_usd": revenue,
                         "deals": count, "won": rng.random(n) < 0.5, "segment": "mid"})


RANGES = [(None, None), (dt.date(2026, 3, 1), None), (None, dt.date(2026, 6, 1)), (dt.date(2026, 4, 1), dt.date(2026, 4, 1)),
          (dt.date(2026, 2, 1), dt.date(2026, 11, 1)), (dt.date(2026, 9, 1), dt.date(2026, 3, 1)),  # start after end
          (dt.date(2027, 1, 1), None), (dt.date(2025, 1, 1), dt.date(2025, 12, 1)), (dt.date(2025, 6, 1), dt.date(2026, 1, 1))]


@pytest.mark.parametrize("seed", range(6))
def test_ms001_every_range_equals_filter_then_group(seed):
    rng = np.random.default_rng(seed)
    frame, view = _frame(rng, int(rng.integers(1, 600))), _view()
    sums = MonthSums.build(view, frame)
    assert sums is not None
    for start, end in RANGES:
        fast = view_frame(view, frame, start=start, end=end, month_sums=sums)
        slow = view_frame(view, frame, start=start, end=end)
        pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-9, atol=1e-6, check_column_type=False)
        assert list(fast.columns) == list(slow.columns) and list(fast.dtypes) == list(slow.dtypes)


def test_ms002_shares_ratios_and_decimals_follow_the_fast_path():
    rng = np.random.default_rng(42)
    frame = _frame(rng, 300)
    frame["revenue_usd"] = [None if pd.isna(v) else decimal.Decimal(str(v)) for v in frame["revenue_usd"]]
    for view in (_view(share_of="revenue_usd"),
                 _view(ratio={"name": "won_rate", "numerator": "deals", "denominator": ["deals", "revenue_usd"]})):
        sums = MonthSums.build(view, frame)
        for start, end in RANGES:
            pd.testing.assert_frame_equal(view_frame(view, frame, start=start, end=end, month_sums=sums),
                                          view_frame(view, frame, start=start, end=end),
                                          check_exact=False, rtol=1e-9, atol=1e-6, check_column_type=False)


def test_ms003_a_known_range_by_hand():
    frame = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3], "customer_name": ["A", "A", "B", "B", "C"],
                          "month": pd.to_datetime(["2026-01-01", "2026-03-01", "2026-02-01", "2026-03-01", "2026-05-01"]),
                          "revenue_usd": [100.0, 50.0, 10.0, 30.0, 999.0]})
    view = _view(share_of="revenue_usd")
    out = view_frame(view, frame, start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 1),
                     month_sums=MonthSums.build(view, frame))
    assert out[["customer_name", "revenue_usd"]].values.tolist() == [["A", 50.0], ["B", 40.0]]  # C: no row in range
    assert out["share"].tolist() == pytest.approx([50 / 90, 40 / 90])


def test_ms004_views_it_does_not_apply_to():
    frame = _frame(np.random.default_rng(1), 50)
    assert MonthSums.build(_view(group_by=[]), frame) is None  # no re-aggregation
    assert MonthSums.build(_view(filters=["owner"]), frame) is None  # no month filter
    assert MonthSums.build(_view(), frame.drop(columns="month")) is None
    assert MonthSums.build(_view(), frame.iloc[0:0]) is None
    big = MonthSums.MAX_CELLS
    try:
        MonthSums.MAX_CELLS = 10
        assert MonthSums.build(_view(), frame) is None  # too large: the row path stays
    finally:
        MonthSums.MAX_CELLS = big


def test_ms005_the_catalog_views_it_serves_match_on_the_known_company(pulse_app):
    """Every catalog view with group_by and a month filter, on the hand-built company's cached frames."""
    from data_access.runtime import get_runtime

    rt = get_runtime()
    served = 0
    for metric in rt.catalog.metrics.values():
        for view in metric.views:
            cached = rt.store.get(view.query)
            sums = MonthSums.build(view, cached.frame) if cached is not None else None
            if sums is None:
                continue
            served += 1
            for start, end in RANGES:
                kw = dict(start=start, end=end, targets=rt.targets().targets, metric=metric, as_of=cached.meta.as_of)
                pd.testing.assert_frame_equal(view_frame(view, cached.frame, month_sums=sums, **kw),
                                              view_frame(view, cached.frame, **kw),
                                              check_exact=False, rtol=1e-9, atol=1e-6, check_column_type=False)
    assert served >= 1  # revenue_by_customer at least
