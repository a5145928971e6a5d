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
from data_access.scenarios import with_scenarios
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
            "owner": self.metric.owner,
            "criticality": self.metric.criticality,
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
    """The columns a ``group_by`` view sums: every numeric column but the keys, ``month`` and ``owner_id``
    (the rep filter's key: a view grouped by channel only, ``activity_conversion_by_channel``, drops it
    rather than summing ids)."""
    return [c for c in df.columns
            if c not in view.group_by and c not in ("month", "owner_id") and pd.api.types.is_numeric_dtype(df[c])]


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


def group_sums(view: View, frame: pd.DataFrame) -> pd.DataFrame | None:
    """A ``group_by`` view's frame re-aggregated without filters, built once per cached frame (the caller
    keeps it by refresh time, as ``MonthSums``): a rep or segment filter on a view grouped by that key
    is then a selection of its groups (``view_frame``'s ``groups``). ``None`` for views without
    ``group_by``, or whose rep/segment filter is not one of its keys."""
    if not view.group_by or frame.empty or not _selectable(view):
        return None
    df = _decimals_to_float(frame)
    return df.groupby(view.group_by, as_index=False, dropna=False)[_measures(view, df)].sum()


FILTER_KEYS = {"owner": "owner_id", "segment": "segment"}  # a filter dimension → the column it keeps rows by


def _selectable(view: View) -> bool:
    """Whether every rep/segment filter of ``view`` keys on a ``group_by`` column, so filtering rows then
    grouping equals grouping then keeping the groups with those keys."""
    return all(FILTER_KEYS[d] in view.group_by for d in view.filters if d in FILTER_KEYS)


def _filter_mask(df: pd.DataFrame, view: View, owners: list[int] | None, segments: list[str] | None) -> np.ndarray | None:
    """Rows (or groups) kept by the rep and segment filters, as one boolean array; ``None`` when neither is set."""
    keep = None
    if "owner" in view.filters and owners:
        ids = df["owner_id"]
        keep = ids.isin(owners).to_numpy(dtype=bool)
        if UNASSIGNED_OWNER in owners:
            keep |= ids.isna().to_numpy()
    if "segment" in view.filters and segments:
        by_segment = df["segment"].isin(segments).to_numpy(dtype=bool)
        keep = by_segment if keep is None else keep & by_segment
    return keep


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
    groups: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Filter and re-aggregate a view's cached frame; returns a new frame.

    Two optional helpers, kept by the caller per cached frame, give the same result faster:
    ``month_sums`` (``MonthSums.build(view, frame)``) replaces the month filter and the ``group_by``
    step; ``groups`` (``group_sums(view, frame)``) replaces the ``group_by`` step when only rep or
    segment filters are set and they key on ``group_by`` columns (a selection of groups). With both,
    a month range and a rep/segment filter are a month-sum re-aggregation and a selection.

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
    if view.scenarios and targets is not None:  # the governed weights, applied to the cached per-stage rows
        frame = with_scenarios(frame, targets.pipeline_scenarios).drop(columns=["probability", "stage_order"])
        month_sums = groups = None  # built from the frame without scenario columns
    by_month = "month" in view.filters and "month" in frame.columns and bool(start or end)
    by_key = ("owner" in view.filters and owners) or ("segment" in view.filters and segments)
    if view.group_by and (not by_key or _selectable(view)):
        base = (month_sums.aggregate(start, end) if month_sums is not None else None) if by_month else groups
        if base is not None and not by_key:  # a shallow copy: ``groups`` is the caller's, kept for the next request
            return _finish(view, _sorted_by_chart(view, base.copy(deep=False)), targets, metric, as_of)
        if base is not None:
            keep = _filter_mask(base, view, owners, segments)
            if keep.any():  # no group left: the row path below gives the empty frame (its dtypes)
                return _finish(view, _sorted_by_chart(view, base[keep].reset_index(drop=True)), targets, metric, as_of)
    df = _decimals_to_float(frame)
    keep = _filter_mask(df, view, owners, segments)
    if by_month:
        months = pd.to_datetime(df["month"])
        in_range = np.ones(len(df), dtype=bool)
        if start:
            in_range &= (months >= pd.Timestamp(start)).to_numpy(dtype=bool)
        if end:
            in_range &= (months <= pd.Timestamp(end)).to_numpy(dtype=bool)
        keep = in_range if keep is None else keep & in_range
    if keep is not None:
        df = df[keep]  # one selection for every filter: a new frame
    if view.group_by:
        df = _sorted_by_chart(view, df.groupby(view.group_by, as_index=False, dropna=False)[_measures(view, df)].sum())
    elif keep is None:
        df = df.copy(deep=False)  # copy-on-write: the cached frame is never changed by what follows
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
        df[view.ratio.name] = _ratio(df, view.ratio.numerator, view.ratio.denominator)
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


def _ratio(df: pd.DataFrame, numerator: str, denominator: list[str]) -> np.ndarray:
    """``df[numerator] / df[denominator].sum(axis=1)`` as float64, missing where the sum is not positive
    (missing parts count 0): one array, without the row-wise frame sum."""
    if not all(isinstance(df[c].dtype, np.dtype) or pd.api.types.is_numeric_dtype(df[c]) for c in denominator):
        denom = df[denominator].sum(axis=1)  # not numbers: pandas' own sum decides
        return (df[numerator] / denom.where(denom > 0)).astype("float64").to_numpy()
    denom = np.zeros(len(df))
    for c in denominator:
        denom = denom + df[c].to_numpy(dtype="float64", na_value=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return df[numerator].to_numpy(dtype="float64", na_value=np.nan) / np.where(denom > 0, denom, np.nan)


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
                     "count": "rep_target_count", "multiple": "rep_target_multiple", "hours": "rep_target_hours",
                     "score": "rep_target_score"}
VS_TARGET = {"green": "On target", "yellow": "Near target", "red": "Off target", "nodata": "No data"}


def _with_rep_targets(df: pd.DataFrame, view: View, metric: Metric, targets: Targets, as_of: dt.date) -> pd.DataFrame:
    """Each rep's target (per-rep quota from the targets file, else the metric's target) and status."""
    default, band = target_for(metric, targets, as_of)
    quotas = rep_quotas(metric, targets, as_of)
    value_col = view.ratio.name if view.ratio else (view.chart.x if view.chart.kind == "hbar" else view.chart.y)
    reps = [int(o) if pd.notna(o) else None for o in df["owner_id"]]
    goal = [float(quotas.get(r, default)) for r in reps]
    vs_target = [VS_TARGET[status(None if pd.isna(v) else float(v), g, metric.direction, band)]
                 for v, g in zip(df[value_col].tolist(), goal)]
    return df.assign(**{REP_TARGET_COLUMN[metric.unit]: goal, "vs_target": vs_target})


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


def display_records(df: pd.DataFrame, month_format: str = "%Y-%m-%d", columns: list[str] | None = None) -> list[dict]:
    """``display_frame(df[columns], month_format).to_dict("records")`` for a page of rows (a table page,
    an API page; ``columns`` default: all): the same values, built column by column in Python, which for
    a few dozen rows costs a fraction of ``display_frame``'s per-column pandas work; longer frames go
    through ``display_frame``."""
    names = list(df.columns) if columns is None else list(columns)
    if len(df) > SMALL_PAGE_ROWS:
        return display_frame(df[names] if columns is not None else df, month_format).to_dict("records")
    values_of = []
    for c in names:
        s = df[c]
        fmt = month_format if c == "month" else "%Y-%m-%d"
        if s.dtype.kind == "M":  # datetime64: each Timestamp formatted (what ``.dt.strftime`` gives)
            values = [None if v is pd.NaT else v.strftime(fmt) for v in s.tolist()]
        elif c.endswith(DATE_SUFFIXES) or pd.api.types.is_datetime64_any_dtype(s):
            values = pd.to_datetime(s).dt.strftime(fmt).tolist()
        else:
            values = s.tolist()
        values_of.append([None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in values])
    return [dict(zip(names, row)) for row in zip(*values_of)] if names else [{} for _ in range(len(df))]
