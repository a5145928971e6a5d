"""The drill-down fast paths with rep and segment filters (issue 19): selecting pre-summed groups
(``group_sums``), and a month range re-aggregated from ``MonthSums`` then selected, equal filtering the
rows and grouping them — for every filter combination, missing owners ("Unassigned") and keys included."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_access.catalog import Chart, View, load_catalog
from data_access.metrics import UNASSIGNED_OWNER, MonthSums, group_sums, view_frame

CATALOG = load_catalog()


def _view(**extra) -> View:
    base = dict(id="v", title="V", query="sales/pipeline_by_rep_stage", filters=["owner", "month", "segment"],
                group_by=["owner_id", "owner_name", "segment"], chart=Chart(kind="hbar", x="amount_usd", y="owner_name"))
    return View(**{**base, **extra})


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    owners = pd.array(rng.integers(1, 9, n), dtype="Int64")
    owners[rng.random(n) < 0.1] = pd.NA  # unassigned
    months = pd.to_datetime([f"2026-{m:02d}-01" for m in rng.integers(1, 13, n)])
    amount = rng.normal(20000, 9000, n).round(2)
    amount[rng.random(n) < 0.05] = np.nan
    deals = pd.array(rng.integers(0, 6, n), dtype="Int64")
    names = pd.array([None if pd.isna(o) else f"Rep {o}" for o in owners], dtype="string")
    segments = rng.choice(["enterprise", "mid", "smb"], n)
    return pd.DataFrame({"owner_id": owners, "owner_name": names, "segment": segments, "month": months,
                         "amount_usd": amount, "deals": deals})


OWNERS = [None, [3], [1, 2, 5], [UNASSIGNED_OWNER], [UNASSIGNED_OWNER, 4], [99]]  # 99: no such rep
SEGMENTS = [None, ["mid"], ["enterprise", "smb"], ["nope"]]
RANGES = [(None, None), (dt.date(2026, 3, 1), dt.date(2026, 8, 1)), (dt.date(2026, 5, 1), None)]


def _same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-9, atol=1e-6, check_column_type=False)
    assert list(fast.dtypes) == list(slow.dtypes)


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("view_kind", ["plain", "ratio", "share"])
def test_gs001_every_filter_combination_equals_filter_then_group(seed, view_kind):
    extra = {"plain": {}, "share": {"share_of": "amount_usd"},
             "ratio": {"ratio": {"name": "per_deal", "numerator": "amount_usd", "denominator": ["deals"]}}}[view_kind]
    view = _view(**extra)
    rng = np.random.default_rng(seed)
    frame = _frame(rng, int(rng.integers(1, 500)))
    groups, sums = group_sums(view, frame), MonthSums.build(view, frame)
    assert groups is not None and sums is not None
    for owners in OWNERS:
        for segments in SEGMENTS:
            for start, end in RANGES:
                slow = view_frame(view, frame, owners=owners, segments=segments, start=start, end=end)
                fast = view_frame(view, frame, owners=owners, segments=segments, start=start, end=end,
                                  month_sums=sums, groups=groups)
                _same(fast, slow)


def test_gs002_a_known_selection_by_hand():
    """Rep 1 has 100 + 50 in mid, rep 2 has 10 in smb, one unassigned 7 in mid: the rep filter [1, Unassigned]
    on mid keeps 150 (rep 1) and 7 (no owner), largest first, and the cached groups are not changed."""
    frame = pd.DataFrame({"owner_id": pd.array([1, 1, 2, pd.NA], dtype="Int64"),
                          "owner_name": pd.array(["Ann", "Ann", "Bo", None], dtype="string"),
                          "segment": ["mid", "mid", "smb", "mid"],
                          "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01", "2026-02-01"]),
                          "amount_usd": [100.0, 50.0, 10.0, 7.0], "deals": pd.array([1, 1, 1, 1], dtype="Int64")})
    view = _view()
    groups = group_sums(view, frame)
    before = groups.copy()
    out = view_frame(view, frame, owners=[1, UNASSIGNED_OWNER], segments=["mid"], groups=groups)
    assert out["amount_usd"].tolist() == [150.0, 7.0]
    assert out["owner_name"].tolist()[0] == "Ann" and pd.isna(out["owner_name"].tolist()[1])
    pd.testing.assert_frame_equal(groups, before)


def test_gs003_views_it_does_not_apply_to():
    frame = _frame(np.random.default_rng(1), 40)
    assert group_sums(_view(group_by=[]), frame) is None  # no re-aggregation
    assert group_sums(_view(group_by=["segment"]), frame) is None  # the rep filter is not a group key
    assert group_sums(_view(), frame.iloc[:0]) is None  # nothing cached
