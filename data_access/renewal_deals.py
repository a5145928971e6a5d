"""Which HubSpot deals a Pulse renewal links (issue 15), so the drill-down deal lists mark them.

Source: ``renewal.hubspot_deal_id`` (``data_access.db.Renewal``; nullable, digits only), of every
renewal whatever its status. Drill-down callbacks and the view API never query the database for it:
``publish_renewal_deals(rt)`` copies the set into the frame store, and readers take it from there.

Frame store outcome records (``FrameStore.put_outcome``):

- ``RENEWAL_DEALS`` = ``system/renewal_deals``: ``{"deal_ids": ["4815162342", …], "at": iso}`` — the
  distinct linked deal ids as digit strings without leading zeros, in numeric order; ``at`` is when it
  was published (ISO 8601, UTC).
- ``RENEWAL_DEALS_AT`` = ``system/renewal_deals_at``: ``{"at": iso}``, the same ``at``, written after
  the set. Readers fetch this small record per request and the set only when ``at`` changed (the set
  grows with the renewals; parsing it on every drill-down would cost more than the rest of a request).

Published by the worker's daily customers job and right after every renewal save on /renewals.
Before the first publish, or while the store is unreachable before this process ever read the set,
``read_renewal_deals`` returns ``NO_RENEWAL_DEALS`` (nothing is marked, nothing fails).

A view lists deals when its frame has a ``deal_id`` column (``lists_deals``). ``renewal_flags`` says
per row whether a renewal links its deal; ``mark_renewal_deals`` adds those flags as the boolean column
``renewal``. One path for every reader: ``linked_deal_ids(store, frame)`` (reads only for a deal list)
then the flags, on a page already sliced (≤ a page of rows: ``components.drilldown.table_page``, an API
page) or on a whole export (CSV: ``with_renewals``). A linked deal that is in no frame is never shown.
"""
from __future__ import annotations

import datetime as dt
import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

from data_access.db import Renewal, session_scope

RENEWAL_DEALS = "system/renewal_deals"
RENEWAL_DEALS_AT = "system/renewal_deals_at"
DEAL_KEY = "deal_id"  # a frame with this column lists deals
RENEWAL_COLUMN = "renewal"
_INT64_MAX = 2**63 - 1

__all__ = ["RENEWAL_DEALS", "RENEWAL_DEALS_AT", "RENEWAL_COLUMN", "NO_RENEWAL_DEALS", "RenewalDeals", "deal_key",
           "publish_renewal_deals", "read_renewal_deals", "linked_deal_ids", "lists_deals", "renewal_flags",
           "mark_renewal_deals", "with_renewals"]


@dataclass(frozen=True)
class RenewalDeals:
    """The published set: ``deal_ids`` (digit strings, no leading zeros) and ``at``, when it was
    published (ISO 8601 UTC; ``None`` when nothing was ever published or read)."""

    deal_ids: frozenset[str]
    at: str | None


NO_RENEWAL_DEALS = RenewalDeals(frozenset(), None)


def deal_key(value) -> str | None:
    """A deal id as the set holds it: ``"0042"``, ``42``, ``42.0`` → ``"42"``; ``None`` for a missing
    or non-numeric value."""
    if type(value) is int:  # the usual case: an INT64 column's value
        return str(value) if value >= 0 else None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        return str(int(text)) if text.isascii() and text.isdigit() else None
    try:
        if pd.isna(value):
            return None
        number = float(value)
    except (TypeError, ValueError):
        return None
    return str(int(value)) if number.is_integer() and number >= 0 else None


def publish_renewal_deals(rt) -> RenewalDeals:
    """Read the linked deal ids from ``renewal`` (one query) and write ``RENEWAL_DEALS`` and then
    ``RENEWAL_DEALS_AT`` into ``rt.store``; returns what was published.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database could not be read (nothing written).
        Exception: whatever the store raises when it cannot be written (Redis down).
    """
    with session_scope(rt.db()) as s:
        raw = s.scalars(select(Renewal.hubspot_deal_id).where(Renewal.hubspot_deal_id.is_not(None)).distinct()).all()
    keys = sorted({k for k in map(deal_key, raw) if k is not None}, key=lambda k: (len(k), k))
    at = dt.datetime.now(dt.timezone.utc).isoformat()
    rt.store.put_outcome(RENEWAL_DEALS, {"deal_ids": keys, "at": at})
    rt.store.put_outcome(RENEWAL_DEALS_AT, {"at": at})
    return RenewalDeals(frozenset(keys), at)


# The set last parsed per store (weakly: a store that goes away takes its entry along), by its ``at``.
_PARSED: "weakref.WeakKeyDictionary[object, RenewalDeals]" = weakref.WeakKeyDictionary()
_PARSED_LOCK = threading.Lock()


def _parse(record) -> RenewalDeals:
    if not isinstance(record, dict):
        return NO_RENEWAL_DEALS
    at = record.get("at")
    ids = record.get("deal_ids")
    keys = frozenset(k for k in map(deal_key, ids) if k is not None) if isinstance(ids, list) else frozenset()
    return RenewalDeals(keys, str(at) if at else None)


def read_renewal_deals(store) -> RenewalDeals:
    """The published set from ``store`` (the live runtime's, not a past day's): one small read of
    ``RENEWAL_DEALS_AT``, and of ``RENEWAL_DEALS`` only when it was published anew since this process
    last parsed it. ``NO_RENEWAL_DEALS`` when there is no record; a malformed one marks nothing."""
    stamp = store.get_outcome(RENEWAL_DEALS_AT)
    at = stamp.get("at") if isinstance(stamp, dict) else None
    if not at:
        return NO_RENEWAL_DEALS
    with _PARSED_LOCK:
        known = _PARSED.get(store)
    if known is not None and known.at == str(at):
        return known
    parsed = _parse(store.get_outcome(RENEWAL_DEALS))
    with _PARSED_LOCK:
        _PARSED[store] = parsed
    return parsed


def lists_deals(frame: pd.DataFrame) -> bool:
    """Whether ``frame``'s rows are deals (it has a ``deal_id`` column)."""
    return DEAL_KEY in frame.columns


def linked_deal_ids(store, frame: pd.DataFrame) -> frozenset[str]:
    """The deal ids to mark in ``frame``: the published set when it lists deals (read from ``store``),
    else empty without reading anything."""
    return read_renewal_deals(store).deal_ids if lists_deals(frame) else frozenset()


SMALL_FRAME_ROWS = 500  # up to here rows are looked up one by one: O(rows), whatever the size of the set


def renewal_flags(frame: pd.DataFrame, deal_ids: frozenset[str]) -> np.ndarray:
    """One bool per row of a deal list ``frame``: whether its ``deal_id`` is in ``deal_ids``. A page
    costs O(its rows); a longer frame (an export) one vectorised pass."""
    ids = frame[DEAL_KEY]
    if not deal_ids or ids.empty:
        return np.zeros(len(frame), dtype=bool)
    if len(ids) <= SMALL_FRAME_ROWS:
        return np.fromiter((deal_key(v) in deal_ids for v in ids.tolist()), dtype=bool, count=len(ids))
    if pd.api.types.is_numeric_dtype(ids) and not pd.api.types.is_bool_dtype(ids):
        hits = ids.isin([int(k) for k in deal_ids if int(k) <= _INT64_MAX])
    else:
        hits = ids.map(deal_key).isin(deal_ids)
    return hits.fillna(False).to_numpy(dtype=bool)


def mark_renewal_deals(frame: pd.DataFrame, deal_ids: frozenset[str]) -> pd.DataFrame:
    """``frame`` with a boolean ``renewal`` column (last) when it lists deals: ``True`` where its
    ``deal_id`` is in ``deal_ids`` (``renewal_flags``); ``frame`` itself otherwise. O(rows): give it a
    sliced page, or an export's rows."""
    if not lists_deals(frame):
        return frame
    return frame.assign(**{RENEWAL_COLUMN: renewal_flags(frame, deal_ids)})


def with_renewals(store, frame: pd.DataFrame) -> pd.DataFrame:
    """``mark_renewal_deals(frame, linked_deal_ids(store, frame))``: what the view API and the
    drill-down export send (a page, or every row of a CSV)."""
    return mark_renewal_deals(frame, linked_deal_ids(store, frame))
