"""A customer's activity timeline (/customers/<id>): its recent invoices, meetings and closed deals,
newest first, read from the frame store only.

The worker runs ``sql/customers/activity.sql`` (``QUERY``) daily (``refresh_activity``) and writes
its rows into the frame store **sharded**: ``SHARDS`` frames ``customers/activity/<n>``, frame
``n`` holding the events of every customer whose id hashes to ``n`` (``shard_of``: CRC-32 of the
id, stable across processes and deploys). A page reads the one small frame of its customer
(``customer_activity``), never the warehouse and never every customer's events (at scale 200 the
query returns ~35k customers' events).

Frame columns (every shard, also an empty one), from the SQL:

* ``customer_id`` str — the QuickBooks customer id (as ``staging.customers`` and ``customer_profile``);
* ``occurred_at`` datetime64[us], naive UTC — a meeting's start; 00:00 of an invoice's transaction
  date or a deal's close date (those sources keep dates only);
* ``kind`` str — ``invoice`` | ``meeting`` | ``deal_won`` | ``deal_lost`` (``KINDS``);
* ``title`` str — ``Invoice <QuickBooks invoice id>``, the meeting's title, the deal's name;
* ``detail`` str, NaN when none — a meeting's HubSpot outcome (``COMPLETED``, ``NO_SHOW``, …), a
  deal's stage label; none for invoices;
* ``amount_usd`` float64 USD, NaN for meetings — an invoice's sales lines in USD (its exchange
  rate), a deal's amount;
* ``source_id`` str — the QuickBooks invoice id, HubSpot engagement id or HubSpot deal id.

Events are those dated in the ``WINDOW_DAYS`` days ending on the as-of date, at most ``MAX_EVENTS``
per customer (the newest). Meetings and deals belong to the customer whose name equals their
HubSpot company's (case and surrounding spaces ignored; of several customers of one name, the
lowest id), as in ``sql/intermediate/contract_spend.sql``.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import zlib

import pandas as pd

from data_access.frame_store import CachedFrame, FrameMeta, FrameStore

log = logging.getLogger(__name__)

QUERY = "customers/activity"
OUTCOME = "system/activity"  # the last timeline refresh's outcome (frame store outcome key)
SHARDS = 32  # changing it moves customers between frames: refresh before pages read the new layout
WINDOW_DAYS = 365  # hardcoded in the SQL (the 365 days ending on the as-of date)
MAX_EVENTS = 25  # per customer, hardcoded in the SQL
KINDS = ("invoice", "meeting", "deal_won", "deal_lost")
COLUMNS: dict[str, str] = {  # every shard's columns and dtypes
    "customer_id": "str",
    "occurred_at": "datetime64[us]",
    "kind": "str",
    "title": "str",
    "detail": "str",
    "amount_usd": "float64",
    "source_id": "str",
}
ORDER_BY, ASCENDING = ("occurred_at", "kind", "source_id"), (False, True, True)  # newest first, ties by kind, id


def shard_of(customer_id: str) -> int:
    """The shard (0 … ``SHARDS`` − 1) holding ``customer_id``'s events: CRC-32 of the id's text,
    modulo ``SHARDS`` (the same in every process, unlike ``hash()``)."""
    return zlib.crc32(str(customer_id).encode("utf-8")) % SHARDS


def frame_name(shard: int) -> str:
    """The frame store name of shard ``shard``: ``customers/activity/<shard>``.

    Raises:
        ValueError: ``shard`` is not in 0 … ``SHARDS`` − 1.
    """
    if not 0 <= shard < SHARDS:
        raise ValueError(f"no activity shard {shard} (0–{SHARDS - 1})")
    return f"{QUERY}/{shard}"


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly ``COLUMNS``, in order, of their dtypes (a backend's own choices, e.g.
    an all-NULL text column as ``object`` or a zoned timestamp, never reach the store).

    Raises:
        ValueError: a column is missing or cannot take its dtype.
    """
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"{QUERY} lacks columns {sorted(missing)}")
    try:
        stamps = pd.to_datetime(frame["occurred_at"])
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        return frame[list(COLUMNS)].assign(occurred_at=stamps).astype(COLUMNS).reset_index(drop=True)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{QUERY}: a column has the wrong type ({e})") from e


def shard_frames(events: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """``events`` (the ``QUERY`` frame) split into every shard, ``{0: frame, …, SHARDS - 1: frame}``:
    ``COLUMNS`` with their dtypes, each customer's events newest first (``ORDER_BY``), a shard without
    events an empty frame of those columns.

    Raises:
        ValueError: ``events`` lacks one of ``COLUMNS``.
    """
    typed = _typed(events)
    shard_by_id = {cid: shard_of(cid) for cid in typed["customer_id"].unique()}
    typed["_shard"] = typed["customer_id"].map(shard_by_id).astype("int64")
    ordered = typed.sort_values(["_shard", "customer_id", *ORDER_BY], ascending=[True, True, *ASCENDING],
                                kind="stable")
    groups = {int(n): g.drop(columns="_shard").reset_index(drop=True) for n, g in ordered.groupby("_shard")}
    empty = typed.drop(columns="_shard").iloc[0:0]
    return {n: groups.get(n, empty) for n in range(SHARDS)}


def refresh_activity(rt) -> int | None:
    """The worker's job (daily, after the customer sync): run ``QUERY`` for today and write every
    shard (``shard_frames``; ``FrameMeta.as_of`` today, ``refreshed_at`` now, UTC), recording the
    outcome ``OUTCOME`` (``rows``, ``customers``, ``shards``; ``duration_s``) for /status.

    A warehouse error (``QueryError``, ``SqlFileError``, I/O) or a frame of the wrong shape is
    logged and recorded as the outcome's error; the last shards stay and ``None`` is returned.
    Frame store errors (Redis unreachable) propagate: every frame is computed before the first
    is written, and each shard is written whole, so a reader sees old or new shards, never a
    partial one. Returns the event rows written (all shards).
    """
    from data_access.refresh import query_params

    attempted = dt.datetime.now(dt.timezone.utc)
    started = time.perf_counter()
    try:
        params = query_params(rt.settings, rt.targets().targets, rt.today())
        shards = shard_frames(rt.warehouse().run(QUERY, params))
    except (ValueError, RuntimeError, OSError) as e:  # QueryError / QueryTimeout, SqlFileError, I/O
        log.warning("activity timeline not refreshed: %s", type(e).__name__)
        rt.put_side_outcome(OUTCOME, attempted, error=e, message=str(e)[:300])
        return None
    duration = time.perf_counter() - started
    rows = sum(len(f) for f in shards.values())
    for n, frame in shards.items():
        name = frame_name(n)
        rt.store.put(name, CachedFrame(frame, FrameMeta(query=name, as_of=params["as_of_date"],
                                                        refreshed_at=attempted, duration_s=duration,
                                                        rows=len(frame))))
    customers = sum(f["customer_id"].nunique() for f in shards.values())
    rt.put_side_outcome(OUTCOME, attempted, rows=rows, customers=customers, shards=SHARDS,
                        duration_s=round(time.perf_counter() - started, 3))
    log.info("activity timeline: %d events of %d customers in %d shards", rows, customers, SHARDS)
    return rows


def customer_activity(store: FrameStore, customer_id: str) -> tuple[pd.DataFrame | None, dt.datetime | None]:
    """One customer's timeline from its shard, with the shard's ``refreshed_at`` (UTC).

    Returns ``(frame, refreshed_at)``: ``frame`` has ``COLUMNS`` (see the module docstring), at most
    ``MAX_EVENTS`` rows, newest first (ties by ``kind``, then ``source_id``), and is empty when the
    customer had no event in the window; ``(None, None)`` before the shard's first refresh. Reads
    one frame of the store; never the warehouse. The frame is the caller's own (a copy).
    """
    cached = store.get(frame_name(shard_of(customer_id)))
    if cached is None:
        return None, None
    frame = cached.frame
    mine = frame[frame["customer_id"] == str(customer_id)]
    mine = mine.sort_values(list(ORDER_BY), ascending=list(ASCENDING), kind="stable", ignore_index=True)
    return mine, cached.meta.refreshed_at
