"""The read model: metric snapshots and drill-down frames, from cached frames only.

Nothing here touches the warehouse. ``snapshot()`` turns a metric's cached value
frame and the targets into what a card shows; ``view_frame()`` applies the rep and
month filters to a view's cached frame and re-aggregates it (pure pandas).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_access.catalog import Metric, View
from data_access.frame_store import FrameStore
from data_access.targets import Status, Targets, rep_quotas, status, target_for


@dataclass(frozen=True)
class MetricSnapshot:
    """What a KPI card shows. ``value`` is in the metric's unit (USD, ratio 0–1, ×, days, count);
    ``None`` when the data has no value. ``as_of`` is the as-of date of the data,
    ``refreshed_at`` (UTC) when it was computed; both ``None`` before the first refresh."""

    metric: Metric
    value: float | None
    target: float
    yellow_band: float
    status: Status
    as_of: dt.date | None
    refreshed_at: dt.datetime | None
    extras: dict = field(default_factory=dict)
    last_error: str | None = None
    last_attempt_at: dt.datetime | None = None
    stale: bool = False

    def to_dict(self) -> dict:
        """JSON-ready form for the API."""
        return {
            "id": self.metric.id,
            "title": self.metric.title,
            "page": self.metric.page,
            "unit": self.metric.unit,
            "direction": self.metric.direction,
            "value": self.value,
            "target": self.target,
            "yellow_band": self.yellow_band,
            "status": self.status,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None,
            "stale": self.stale,
            "last_refresh_failed": self.last_error is not None,
            "details": self.extras,
            "views": [v.id for v in self.metric.views],
        }


def _scalar(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def is_stale(refreshed_at: dt.datetime | None, sla_minutes: int, now: dt.datetime | None = None) -> bool:
    """True when data refreshed at ``refreshed_at`` (UTC) is older than its freshness SLA."""
    if refreshed_at is None:
        return False
    now = now or dt.datetime.now(dt.timezone.utc)
    return now - refreshed_at > dt.timedelta(minutes=sla_minutes)


def snapshot(metric: Metric, store: FrameStore, targets: Targets, today: dt.date,
             now: dt.datetime | None = None) -> MetricSnapshot:
    """The card for ``metric`` from its cached value frame (one row, column ``value``).

    ``stale`` when the frame is older than the metric's freshness SLA; ``last_error`` (the
    error class) when the last refresh attempt failed — the last good value is still shown.
    """
    cached = store.get(metric.query)
    outcome = store.get_outcome(metric.query) or {}
    last_error = None if outcome.get("ok", True) else outcome.get("error_class", "error")
    attempted = dt.datetime.fromisoformat(outcome["attempted_at"]) if outcome.get("attempted_at") else None
    as_of = cached.meta.as_of if cached else today
    target, band = target_for(metric, targets, as_of)
    if cached is None:
        return MetricSnapshot(metric, None, target, band, "nodata", None, None, {}, last_error, attempted)
    row = {c: cached.frame[c].iloc[0] for c in cached.frame.columns} if len(cached.frame) else {}
    value = _scalar(row.pop("value", None))
    value = float(value) if value is not None else None
    extras = {k: _scalar(v) for k, v in row.items()}
    return MetricSnapshot(
        metric, value, target, band, status(value, target, metric.direction, band),
        cached.meta.as_of, cached.meta.refreshed_at, extras, last_error, attempted,
        is_stale(cached.meta.refreshed_at, metric.freshness_sla_minutes, now),
    )


def month_start(value: str | dt.date | None) -> dt.date | None:
    """``YYYY-MM`` (or a date) → first day of that month. Raises ``ValueError`` if malformed."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.replace(day=1)
    return dt.datetime.strptime(value, "%Y-%m").date()


def _decimals_to_float(frame: pd.DataFrame) -> pd.DataFrame:
    """Money kept as exact Decimals (object columns ``*_usd``) as float64, for charts and tables."""
    cols = [c for c in frame.columns if c.endswith("_usd") and frame[c].dtype == object]
    if not cols:
        return frame
    return frame.assign(**{c: pd.to_numeric(frame[c].map(lambda v: None if v is None else float(v))) for c in cols})


def _measures(view: View, df: pd.DataFrame) -> list[str]:
    """The columns a ``group_by`` view sums: every numeric column but the keys and ``month``."""
    return [c for c in df.columns if c not in view.group_by and c != "month" and pd.api.types.is_numeric_dtype(df[c])]


class MonthSums:
    """Running sums of a ``group_by`` view's measures per group over its months, built once per cached
    frame, so a month range re-aggregates by one subtraction per group instead of filtering and
    grouping every row (``revenue_by_customer`` at scale 200: 278k rows → 30k groups).

    ``aggregate(start, end)`` equals ``frame[month in range].groupby(group_by, dropna=False)[measures].sum()``
    (same groups — those with at least one row in range —, order, columns and dtypes; float sums equal
    up to the rounding of a difference of running totals, ≈ 1e-9 USD on a customer's $10M). ``build``
    returns ``None`` for views it does not apply to or that would take more than ``MAX_CELLS`` numbers.
    """

    MAX_CELLS = 8_000_000  # (months + 1) × groups × (measures + 1) float64s: 64 MB at most

    def __init__(self, keys: pd.DataFrame, months: np.ndarray, cum: np.ndarray, measures: list[str], dtypes: dict):
        self.keys, self.months, self.cum, self.measures, self.dtypes = keys, months, cum, measures, dtypes

    @classmethod
    def build(cls, view: View, frame: pd.DataFrame) -> "MonthSums | None":
        if not view.group_by or "month" not in view.filters or "month" not in frame.columns or frame.empty:
            return None
        df = _decimals_to_float(frame)
        measures = _measures(view, df)
        grouped = df.groupby(view.group_by, dropna=False, sort=True)
        months, month_idx = np.unique(pd.to_datetime(df["month"]).to_numpy(), return_inverse=True)
        n_groups = grouped.ngroups
        if (months.dtype.kind != "M" or pd.isna(months).any()
                or (len(months) + 1) * n_groups * (len(measures) + 1) > cls.MAX_CELLS):
            return None
        values = np.column_stack([df[measures].to_numpy(dtype="float64", na_value=0.0),
                                  np.ones(len(df))])  # the last column counts rows
        acc = np.zeros((len(months) + 1, n_groups, len(measures) + 1))
        np.add.at(acc, (month_idx + 1, grouped.ngroup().to_numpy()), values)
        keys = grouped.size().reset_index()[view.group_by]
        dtypes = df.head(1).groupby(view.group_by, dropna=False)[measures].sum().dtypes.to_dict()
        return cls(keys, months, acc.cumsum(axis=0), measures, dtypes)

    def aggregate(self, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
        lo = 0 if start is None else int(np.searchsorted(self.months, np.datetime64(pd.Timestamp(start)), "left"))
        hi = len(self.months) if end is None else int(np.searchsorted(self.months, np.datetime64(pd.Timestamp(end)),
                                                                        "right"))
        sums = self.cum[max(hi, lo)] - self.cum[lo]
        present = sums[:, -1] > 0.5
        out = self.keys[present].reset_index(drop=True)
        for k, c in enumerate(self.measures):
            col = sums[present, k]
            dtype = self.dtypes[c]
            out[c] = pd.array(np.rint(col), dtype=dtype) if pd.api.types.is_integer_dtype(dtype) else \
                pd.array(col, dtype=dtype)
        return out


def view_frame(
    view: View,
    frame: pd.DataFrame,
    owners: list[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    targets: Targets | None = None,
    segments: list[str] | None = None,
    metric: Metric | None = None,
    as_of: dt.date | None = None,
    month_sums: MonthSums | None = None,
) -> pd.DataFrame:
    """Filter and re-aggregate a view's cached frame; returns a new frame.

    ``month_sums`` (``MonthSums.build(view, frame)``, kept by the caller per cached frame) replaces the
    month filter and the ``group_by`` step when no owner or segment filter is set: same result, faster.

    - ``owners``: keep rows whose ``owner_id`` is in the list (views with the owner filter);
      ``UNASSIGNED_OWNER`` (-1) keeps the rows without an owner (the rep "Unassigned").
    - ``segments``: keep rows whose ``segment`` is in the list (views with the segment filter).
    - ``start``/``end``: first days of months; keep rows whose ``month`` is in [start, end].
    - then ``group_by`` sums every numeric column, ``ratio`` recomputes a ratio (0–1),
      ``share_of`` adds ``share`` (0–1 of the column's total), ``add_monthly_target``
      adds ``target_usd`` from the revenue plan (the as-of month pro-rated by day), ``rep_target`` adds ``rep_target_<unit>`` (each rep's
      quota in force on ``as_of``, else the metric's target; in the metric's unit) and ``vs_target``
      (``On target`` | ``Near target`` | ``Off target`` | ``No data``) — these need ``metric`` and ``as_of``.
    """
    by_owner, by_segment = "owner" in view.filters and owners, "segment" in view.filters and segments
    if month_sums is not None and view.group_by and not by_owner and not by_segment:
        df = _sorted_by_chart(view, month_sums.aggregate(start, end))
        return _finish(view, df, targets, metric, as_of)
    df = _decimals_to_float(frame)
    if "owner" in view.filters and owners:
        keep = df["owner_id"].isin(owners)
        if UNASSIGNED_OWNER in owners:
            keep |= df["owner_id"].isna()
        df = df[keep]
    if "segment" in view.filters and segments:
        df = df[df["segment"].isin(segments)]
    if "month" in view.filters and "month" in df.columns and (start or end):
        months = pd.to_datetime(df["month"])
        keep = pd.Series(True, index=df.index)
        if start:
            keep &= months >= pd.Timestamp(start)
        if end:
            keep &= months <= pd.Timestamp(end)
        df = df[keep]
    if view.group_by:
        df = _sorted_by_chart(view, df.groupby(view.group_by, as_index=False, dropna=False)[_measures(view, df)].sum())
    else:
        df = df.copy()
    return _finish(view, df, targets, metric, as_of)


def _sorted_by_chart(view: View, df: pd.DataFrame) -> pd.DataFrame:
    """A re-aggregated view in the chart's ``order`` column when a bar chart has one (On track, At risk,
    Overdue), else largest first by the charted value (x of a horizontal bar, y otherwise)."""
    if view.chart.kind == "bar" and view.chart.order and view.chart.order in df.columns:
        return df.sort_values(view.chart.order, kind="stable")
    sort_col = view.chart.x if view.chart.kind == "hbar" else view.chart.y
    if sort_col in df.columns and pd.api.types.is_numeric_dtype(df[sort_col]):
        df = df.sort_values(sort_col, ascending=False, kind="stable")
    return df


def _finish(view: View, df: pd.DataFrame, targets: Targets | None, metric: Metric | None,
            as_of: dt.date | None) -> pd.DataFrame:
    """The steps after filtering and grouping: ratio, share, targets, rep targets."""
    if view.ratio:
        denom = df[view.ratio.denominator].sum(axis=1)
        df[view.ratio.name] = (df[view.ratio.numerator] / denom.where(denom > 0)).astype("float64")
        df = df.sort_values(view.ratio.name, ascending=False, kind="stable")
    if view.share_of:
        total = df[view.share_of].sum()
        df["share"] = (df[view.share_of] / total) if total else float("nan")
        df = df.sort_values(view.share_of, ascending=False, kind="stable")
    if view.add_monthly_target and targets is not None and "month" in df.columns:
        plan = targets.revenue_plan  # the as-of month pro-rated by day, as in the Revenue YTD target
        df["target_usd"] = [plan.month_to_date_usd(m.year, m.month, as_of) for m in pd.to_datetime(df["month"])]
    if view.quota_coverage and targets is not None and as_of is not None:
        df = _with_quota_coverage(df, targets, as_of)
    if view.rep_target and None not in (targets, metric, as_of) and "owner_id" in df.columns:
        df = _with_rep_targets(df, view, metric, targets, as_of)
        if view.quota_coverage:  # say why a rep has no coverage rather than "No data"
            df.loc[df["quota_usd"].isna(), "vs_target"] = "No quota"
            df.loc[df["quota_usd"].notna() & (df["remaining_quota_usd"] <= 0), "vs_target"] = "Quota met"
    return df.reset_index(drop=True)


def _with_quota_coverage(df: pd.DataFrame, targets: Targets, as_of: dt.date) -> pd.DataFrame:
    """Per rep (columns ``owner_id``, ``open_pipeline_usd``, ``won_qtd_usd``): ``quota_usd`` (the rep's
    quarterly quota from the revenue plan in force on ``as_of``; missing without one),
    ``remaining_quota_usd`` = quota − won this quarter, and ``coverage_multiple`` = open pipeline ÷
    remaining quota (missing without a quota or once the quota is met)."""
    quotas = targets.revenue_plan.rep_quarter_quotas(as_of)
    df = df.copy()
    df["quota_usd"] = [quotas.get(int(o)) if pd.notna(o) else None for o in df["owner_id"]]
    df["quota_usd"] = df["quota_usd"].astype("float64")
    df["remaining_quota_usd"] = df["quota_usd"] - df["won_qtd_usd"]
    remaining = df["remaining_quota_usd"].where(df["remaining_quota_usd"] > 0)
    df["coverage_multiple"] = (df["open_pipeline_usd"] / remaining).astype("float64")
    return df.sort_values(["coverage_multiple", "open_pipeline_usd"], ascending=[False, False],
                          na_position="last", kind="stable")


REP_TARGET_COLUMN = {"usd": "rep_target_usd", "ratio": "rep_target_rate", "days": "rep_target_days",
                     "count": "rep_target_count", "multiple": "rep_target_multiple"}
VS_TARGET = {"green": "On target", "yellow": "Near target", "red": "Off target", "nodata": "No data"}


def _with_rep_targets(df: pd.DataFrame, view: View, metric: Metric, targets: Targets, as_of: dt.date) -> pd.DataFrame:
    """Each rep's target (per-rep quota from the targets file, else the metric's target) and status."""
    default, band = target_for(metric, targets, as_of)
    quotas = rep_quotas(metric, targets, as_of)
    value_col = view.ratio.name if view.ratio else (view.chart.x if view.chart.kind == "hbar" else view.chart.y)
    reps = [int(o) if pd.notna(o) else None for o in df["owner_id"]]
    goal = [float(quotas.get(r, default)) for r in reps]
    df = df.copy()
    df[REP_TARGET_COLUMN[metric.unit]] = goal
    df["vs_target"] = [VS_TARGET[status(None if pd.isna(v) else float(v), g, metric.direction, band)]
                       for v, g in zip(df[value_col], goal)]
    return df


UNASSIGNED_OWNER = -1  # the rep filter's value for rows without an owner (HubSpot owner ids are positive)
UNASSIGNED_LABEL = "Unassigned"  # the name staging gives them (staging/deals.sql)


def owner_options(frame: pd.DataFrame) -> list[dict]:
    """Dropdown options ``{"label": owner_name, "value": owner_id}`` from a view frame, by name; then
    ``{"label": "Unassigned", "value": UNASSIGNED_OWNER}`` when some rows have no owner (the chart
    shows them as the rep "Unassigned")."""
    if "owner_id" not in frame.columns:
        return []
    known = frame[["owner_id", "owner_name"]].dropna(subset=["owner_id"]).drop_duplicates("owner_id").sort_values("owner_name")
    options = [{"label": str(n), "value": int(i)} for i, n in zip(known["owner_id"], known["owner_name"])]
    if frame["owner_id"].isna().any():
        options.append({"label": UNASSIGNED_LABEL, "value": UNASSIGNED_OWNER})
    return options


DATE_SUFFIXES = ("_date", "month", "week_start")


def display_frame(df: pd.DataFrame, month_format: str = "%Y-%m-%d") -> pd.DataFrame:
    """A copy with date columns (``*_date``, ``month``, ``week_start``, datetimes) as ISO text
    (``month`` in ``month_format``) and missing values as ``None``: ready for JSON, CSV or a table."""
    out = df.copy()
    for c in out.columns:
        if c.endswith(DATE_SUFFIXES) or pd.api.types.is_datetime64_any_dtype(out[c]):
            stamps = pd.to_datetime(out[c])
            out[c] = stamps.dt.strftime(month_format if c == "month" else "%Y-%m-%d")
        missing = out[c].isna()
        if missing.any():  # only columns with gaps pay for the object conversion
            out[c] = out[c].astype(object).where(~missing, None)
    return out


SMALL_PAGE_ROWS = 500  # up to here, converting value by value beats pandas' per-column work


def display_records(df: pd.DataFrame, month_format: str = "%Y-%m-%d") -> list[dict]:
    """``display_frame(df, month_format).to_dict("records")`` for a page of rows (a table page, an API
    page): the same values, built column by column in Python, which for a few dozen rows costs a
    fraction of ``display_frame``'s per-column pandas work; longer frames go through ``display_frame``."""
    if len(df) > SMALL_PAGE_ROWS:
        return display_frame(df, month_format).to_dict("records")
    columns = {}
    for c in df.columns:
        if c.endswith(DATE_SUFFIXES) or pd.api.types.is_datetime64_any_dtype(df[c]):
            values = pd.to_datetime(df[c]).dt.strftime(month_format if c == "month" else "%Y-%m-%d").tolist()
        else:
            values = df[c].tolist()
        columns[c] = [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in values]
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())] if names else [{} for _ in range(len(df))]
