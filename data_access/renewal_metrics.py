"""The renewal KPIs, from Pulse's own database (catalog source ``pulse_db``): the worker computes these
frames from ``renewal`` ⋈ ``customer_profile`` on the metrics' cadence and whenever a renewal is saved,
and stores them like any other, so cards and drill-downs read the frame store only.

Each metric is defined once here, as the renewals it counts; its value frame and its list view are
built from the same rows (the list always adds up to the card). Windows are inclusive of the as-of
date (``Settings.today()``, the company's time zone).

Frames (amounts USD float, dates ``datetime.date``):

- ``pulse_db/renewals_due_90_days_usd``: ``value`` = Σ current value of renewals not yet committed
  (open, in negotiation) dated on or before as-of + 89 days, overdue ones included; ``renewal_count``,
  ``overdue_count``, ``overdue_usd``.
- ``pulse_db/renewal_rate``: ``value`` = renewed ÷ (renewed + churned) among renewals dated in the 365
  days ending on the as-of date (ratio 0–1; null when none resolved); ``renewed_count``, ``churned_count``.
- ``pulse_db/at_risk_arr_usd``: ``value`` = Σ current value of high-risk renewals not yet committed,
  dated on or before as-of + 364 days; ``renewal_count``.
- list views ``pulse_db/due_renewals``, ``pulse_db/resolved_renewals``, ``pulse_db/at_risk_renewals``
  (one row per renewal: ``renewal_id``, ``customer_name``, ``segment``, ``renewal_date``, ``status``,
  ``risk_level``, ``owner``, ``current_value_usd``, ``proposed_value_usd``, ``days_to_renewal``), and
  ``pulse_db/renewals_by_month`` (``month`` first day, ``status`` label, ``status_order`` int (open first),
  ``value_usd``, ``renewal_count``:
  every renewal of the 12 months from the as-of month, by status).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from data_access.config import Settings
from data_access.refresh import Fetched
from data_access.renewals import STATUS_LABEL, UNCOMMITTED, RenewalRow, list_renewals

PREFIX = "pulse_db/"
DUE_FRAME, RATE_FRAME, AT_RISK_FRAME = (f"{PREFIX}renewals_due_90_days_usd", f"{PREFIX}renewal_rate",
                                        f"{PREFIX}at_risk_arr_usd")
DUE_LIST, RESOLVED_LIST, AT_RISK_LIST, BY_MONTH = (f"{PREFIX}due_renewals", f"{PREFIX}resolved_renewals",
                                                   f"{PREFIX}at_risk_renewals", f"{PREFIX}renewals_by_month")
METRIC_IDS = ("renewals_due_90_days_usd", "renewal_rate", "at_risk_arr_usd")
DUE_DAYS, RATE_DAYS, AT_RISK_DAYS = 90, 365, 365
CONNECT_HINT = "Renewals live in Pulse's own database; managers add them on the Renewals page."
LIST_COLUMNS = ["renewal_id", "customer_id", "customer_name", "segment", "renewal_date", "status", "risk_level",
                "owner", "current_value_usd", "proposed_value_usd", "days_to_renewal"]


def is_connected(_settings: Settings) -> bool:
    return True


def due_renewals(engine: Engine, as_of: dt.date) -> list[RenewalRow]:
    """Renewals not yet committed (open, in negotiation) dated on or before as-of + 89 days (overdue included)."""
    return list_renewals(engine, end=as_of + dt.timedelta(days=DUE_DAYS - 1), statuses=UNCOMMITTED)


def resolved_renewals(engine: Engine, as_of: dt.date) -> list[RenewalRow]:
    """Renewed or churned renewals dated in the 365 days ending on ``as_of``."""
    return list_renewals(engine, start=as_of - dt.timedelta(days=RATE_DAYS - 1), end=as_of,
                         statuses=("renewed", "churned"))


def at_risk_renewals(engine: Engine, as_of: dt.date) -> list[RenewalRow]:
    """High-risk renewals not yet committed dated on or before as-of + 364 days (overdue included)."""
    rows = list_renewals(engine, end=as_of + dt.timedelta(days=AT_RISK_DAYS - 1), statuses=UNCOMMITTED)
    return [r for r in rows if r.risk_level == "high"]


def _list(rows: list[RenewalRow], as_of: dt.date) -> pd.DataFrame:
    frame = pd.DataFrame(
        [[r.id, r.customer_id, r.customer_name, r.segment, r.renewal_date, STATUS_LABEL[r.status],
          r.risk_level.capitalize(), r.owner, float(r.current_value_usd),
          None if r.proposed_value_usd is None else float(r.proposed_value_usd), (r.renewal_date - as_of).days]
         for r in rows], columns=LIST_COLUMNS)
    return frame.astype({"current_value_usd": "float64", "proposed_value_usd": "float64",
                         "days_to_renewal": "int64", "renewal_id": "int64"})


def by_month(engine: Engine, as_of: dt.date) -> pd.DataFrame:
    """Every renewal dated in the 12 months from the first of ``as_of``'s month, by month and status."""
    start = as_of.replace(day=1)
    end = (pd.Timestamp(start) + pd.DateOffset(months=12)).date() - dt.timedelta(days=1)
    rows = list_renewals(engine, start=start, end=end)
    frame = pd.DataFrame({"month": [r.renewal_date.replace(day=1) for r in rows],
                          "status": [STATUS_LABEL[r.status] for r in rows],
                          "value_usd": [float(r.current_value_usd) for r in rows]})
    if frame.empty:
        return pd.DataFrame({"month": pd.Series(dtype="object"), "status": pd.Series(dtype="object"),
                             "status_order": pd.Series(dtype="int64"), "value_usd": pd.Series(dtype="float64"),
                             "renewal_count": pd.Series(dtype="int64")})
    order = {label: i for i, label in enumerate(STATUS_LABEL.values())}
    frame["status_order"] = frame["status"].map(order).astype("int64")
    out = frame.groupby(["month", "status", "status_order"], as_index=False).agg(
        value_usd=("value_usd", "sum"), renewal_count=("value_usd", "size"))
    return out.sort_values(["month", "status_order"], ignore_index=True)


def frames(engine: Engine, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Every frame of the three renewal metrics for ``as_of`` (see the module docstring)."""
    due, resolved, risky = due_renewals(engine, as_of), resolved_renewals(engine, as_of), at_risk_renewals(engine, as_of)
    overdue = [r for r in due if r.renewal_date < as_of]
    renewed = sum(r.status == "renewed" for r in resolved)
    churned = len(resolved) - renewed
    return {
        DUE_FRAME: pd.DataFrame([{"value": float(sum(r.current_value_usd for r in due)), "renewal_count": len(due),
                                  "overdue_count": len(overdue),
                                  "overdue_usd": float(sum(r.current_value_usd for r in overdue))}]),
        RATE_FRAME: pd.DataFrame([{"value": renewed / len(resolved) if resolved else None,
                                   "renewed_count": renewed, "churned_count": churned}]).astype({"value": "float64"}),
        AT_RISK_FRAME: pd.DataFrame([{"value": float(sum(r.current_value_usd for r in risky)),
                                      "renewal_count": len(risky)}]),
        DUE_LIST: _list(due, as_of),
        RESOLVED_LIST: _list(resolved, as_of),
        AT_RISK_LIST: _list(risky, as_of),
        BY_MONTH: by_month(engine, as_of),
    }


def fetch_frames(settings: Settings) -> Fetched:
    """The frames for today (``settings.today()``) from the configured database. Raises SQLAlchemy's
    errors when the database is unreachable (the refresh keeps the last good frames then)."""
    from data_access.db import engine_for

    return Fetched(frames(engine_for(settings.resolved_database_url()), settings.today()), [])


def request_refresh(rt) -> None:
    """Ask the worker to recompute the renewal metrics now (after a renewal was saved)."""
    for metric_id in METRIC_IDS:
        rt.coordinator.request_refresh(metric_id)
