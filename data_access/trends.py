"""Trends of a card from the cached history (``history.HISTORY_FRAME``): the 90-day sparkline and
the change against a previous period. Pure pandas on the frame cache; never the warehouse.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import pandas as pd
from dateutil.relativedelta import relativedelta

from data_access.frame_store import FrameStore
from data_access.history import COMPANY, HISTORY_FRAME

SPARK_DAYS = 90

# period id → (label in "▲ 2.1 pts vs <label>", how far back, days of slack when that exact day has
# no snapshot: the closest earlier snapshot within the slack counts, never a later one)
PERIODS: dict[str, tuple[str, relativedelta, int]] = {
    "day": ("previous day", relativedelta(days=1), 0),
    "week": ("last week", relativedelta(weeks=1), 1),
    "month": ("last month", relativedelta(months=1), 3),
    "quarter": ("last quarter", relativedelta(months=3), 7),
    "year": ("same day last year", relativedelta(years=1), 7),
}
DEFAULT_PERIOD = "month"


@dataclass(frozen=True)
class Trend:
    """A card's history. ``points``: (date, value) of the last ``SPARK_DAYS`` days with a value,
    oldest first; ``previous``: the value ``period`` ago (``None`` when history has none: no delta,
    never 0), taken on ``previous_date``."""

    points: list[tuple[dt.date, float]]
    previous: float | None
    previous_date: dt.date | None
    period: str


_GROUPED: dict[int, tuple[object, dict[str, pd.DataFrame]]] = {}
_LOCK = threading.Lock()


def _by_metric(store: FrameStore) -> dict[str, pd.DataFrame]:
    """The cached history split per metric (``metric_date``-indexed ``value`` series frames), split
    once per cached copy (keyed by the store and the copy's refresh time)."""
    cached = store.get(HISTORY_FRAME)
    if cached is None or cached.frame.empty:
        return {}
    key = (id(store), cached.meta.refreshed_at, cached.meta.rows)
    with _LOCK:
        hit = _GROUPED.get(id(store))
        if hit is not None and hit[0] == key:
            return hit[1]
    frame = cached.frame
    frame = frame[(frame["entity_type"] == COMPANY) & frame["value"].notna()]
    split = {mid: g.set_index("metric_date")["value"].sort_index() for mid, g in frame.groupby("metric_id")}
    with _LOCK:
        _GROUPED[id(store)] = (key, split)
    return split


def trend(store: FrameStore, metric_id: str, as_of: dt.date, period: str = DEFAULT_PERIOD) -> Trend:
    """The sparkline points and previous-period value of ``metric_id`` as of ``as_of``.
    Raises ``KeyError`` for an unknown ``period`` (one of ``PERIODS``)."""
    label, back, slack = PERIODS[period]
    series = _by_metric(store).get(metric_id)
    if series is None or series.empty:
        return Trend([], None, None, period)
    start = as_of - dt.timedelta(days=SPARK_DAYS - 1)
    window = series[(series.index >= start) & (series.index <= as_of)]
    points = [(d, float(v)) for d, v in window.items()]
    target_day = as_of - back
    earlier = series[(series.index <= target_day) & (series.index >= target_day - dt.timedelta(days=slack))]
    if earlier.empty:
        return Trend(points, None, None, period)
    return Trend(points, float(earlier.iloc[-1]), earlier.index[-1], period)


def change(current: float | None, previous: float | None, unit: str) -> float | None:
    """The change shown on a card: for ``ratio`` the difference in percentage points (0.32 → 0.341:
    2.1), for ``usd`` the relative change in % (``None`` when the previous value is 0), for
    ``count`` / ``days`` / ``multiple`` the difference in the unit. ``None`` when either side is
    missing."""
    if current is None or previous is None:
        return None
    if unit == "ratio":
        return (current - previous) * 100
    if unit == "usd":
        return None if previous == 0 else (current - previous) / abs(previous) * 100
    return current - previous


@dataclass(frozen=True)
class Recorded:
    """A metric's company-level value as the KPI history recorded it for one day."""

    value: float | None
    target: float | None
    status: str


def recorded(store: FrameStore, metric_id: str, day: dt.date) -> Recorded | None:
    """What the history holds for ``metric_id`` on ``day`` (from the cached copy: the last
    ``settings.history_days_cached`` days), or ``None`` when nothing was recorded."""
    cached = store.get(HISTORY_FRAME)
    if cached is None or cached.frame.empty:
        return None
    f = cached.frame
    hit = f[(f["metric_id"] == metric_id) & (f["metric_date"] == day) & (f["entity_type"] == COMPANY)]
    if hit.empty:
        return None
    row = hit.iloc[0]
    value = None if pd.isna(row["value"]) else float(row["value"])
    target = None if pd.isna(row["target"]) else float(row["target"])
    return Recorded(value, target, row["status"] or "nodata")
