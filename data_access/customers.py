"""Customers in Pulse's database: the worker copies the warehouse's customers (``sql/customers/
customer_directory.sql``: QuickBooks customers with their ARR) into ``customer_profile`` daily, so
renewals can point at a customer that exists and pages page and search customers in the database,
never in the warehouse.

``sync_customers`` is one transaction: new customers are inserted, known ones get their name, segment,
ARR and last invoice date refreshed (Pulse's own fields — tier, owner, contract dates, notes — are
left alone), and customers gone from the warehouse are kept with ``in_warehouse`` false (renewals
still point at them).
"""
from __future__ import annotations

import datetime as dt
import decimal
import logging
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, bindparam, exists, func, insert, select, update

from data_access.db import CustomerProfile, contains, session_scope, utcnow
from data_access.health import STATUS_WORD

log = logging.getLogger(__name__)

DIRECTORY_QUERY = "customers/customer_directory"
SYNC_OUTCOME = "system/customers"  # the last sync's outcome (frame store outcome key, on /status)
CHUNK = 2_000


@dataclass(frozen=True)
class SyncResult:
    inserted: int
    updated: int
    retired: int  # known customers no longer in the warehouse


def _usd(value) -> decimal.Decimal:
    if value is None or pd.isna(value):
        return decimal.Decimal("0.00")
    return decimal.Decimal(str(value)).quantize(decimal.Decimal("0.01"))


def _day(value) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def sync_customers(engine: Engine, directory: pd.DataFrame, now: dt.datetime | None = None) -> SyncResult:
    """Copy ``directory`` (the frame of ``DIRECTORY_QUERY``: ``customer_id`` str, ``customer_name`` str,
    ``segment`` str, ``arr_usd`` float/Decimal USD, ``last_invoice_date`` date or null, ``owner_name``
    str or null) into ``customer_profile`` in one transaction. ``owner_name`` fills a profile's owner
    only while it has none (an owner set in Pulse stays).

    Raises:
        ValueError: ``directory`` lacks one of those columns or repeats a customer id (nothing written).
    """
    needed = {"customer_id", "customer_name", "segment", "arr_usd", "last_invoice_date", "owner_name"}
    if missing := needed - set(directory.columns):
        raise ValueError(f"customer directory lacks columns {sorted(missing)}")
    ids = directory["customer_id"].astype(str)
    if ids.duplicated().any():
        raise ValueError(f"customer directory repeats ids: {sorted(ids[ids.duplicated()].unique())[:5]}")
    now = now or utcnow()
    rows = [{"b_id": cid, "b_name": str(name)[:300] or f"Customer {cid}", "b_segment": str(seg or "Unclassified")[:100],
             "b_arr": _usd(arr), "b_last": _day(last),
             "b_owner": None if owner is None or pd.isna(owner) else str(owner)[:200]}
            for cid, name, seg, arr, last, owner in zip(ids, directory["customer_name"], directory["segment"],
                                                        directory["arr_usd"], directory["last_invoice_date"],
                                                        directory["owner_name"])]
    with session_scope(engine) as s:
        known = set(s.scalars(select(CustomerProfile.customer_id)))
        new = [r for r in rows if r["b_id"] not in known]
        old = [r for r in rows if r["b_id"] in known]
        gone = known - {r["b_id"] for r in rows}
        for i in range(0, len(new), CHUNK):
            s.execute(insert(CustomerProfile), [
                {"customer_id": r["b_id"], "name": r["b_name"], "segment": r["b_segment"], "arr_usd": r["b_arr"],
                 "last_invoice_date": r["b_last"], "owner": r["b_owner"], "notes": "", "in_warehouse": True, "synced_at": now,
                 "version": 1, "created_at": now, "updated_at": now} for r in new[i:i + CHUNK]])
        table = CustomerProfile.__table__
        refresh = (update(table).where(table.c.customer_id == bindparam("b_id"))
                   .values(name=bindparam("b_name"), segment=bindparam("b_segment"), arr_usd=bindparam("b_arr"),
                           last_invoice_date=bindparam("b_last"),
                           owner=func.coalesce(table.c.owner, bindparam("b_owner")), in_warehouse=True,
                           synced_at=now))
        for i in range(0, len(old), CHUNK):
            s.connection().execute(refresh, old[i:i + CHUNK])
        if gone:
            s.execute(update(table).where(table.c.customer_id.in_(sorted(gone))).values(in_warehouse=False))
    log.info("customers synced: %d new, %d refreshed, %d gone from the warehouse", len(new), len(old), len(gone))
    return SyncResult(len(new), len(old), len(gone))


def refresh_customers(rt) -> SyncResult | None:
    """The worker's job: run ``DIRECTORY_QUERY`` for today and sync it (``sync_customers``), recording
    the outcome ``SYNC_OUTCOME`` (on /status). A warehouse or database error is logged and recorded;
    the last synced customers stay. Returns ``None`` on failure."""
    from sqlalchemy.exc import SQLAlchemyError

    from data_access.refresh import query_params

    attempted = utcnow()
    try:
        params = query_params(rt.settings, rt.targets().targets, rt.today())
        result = sync_customers(rt.db(), rt.warehouse().run(DIRECTORY_QUERY, params), attempted)
    except (SQLAlchemyError, ValueError, RuntimeError, OSError) as e:
        log.warning("customer sync failed: %s", type(e).__name__)
        rt.put_side_outcome(SYNC_OUTCOME, attempted, error=e,
                             message=str(getattr(e, "orig", None) or e)[:300])
        return None
    rt.put_side_outcome(SYNC_OUTCOME, attempted, inserted=result.inserted, updated=result.updated,
                         retired=result.retired)
    return result


def sync_and_score(rt) -> bool:
    """The daily customer step: ``refresh_customers``, then — only after a sync that worked — today's
    health scores (``health.refresh_health``), the playbook rules (``playbooks.refresh_playbooks``,
    which read those scores), the deals renewals link (``renewal_deals.publish_renewal_deals``, which
    the drill-down deal lists mark) and each customer's activity timeline
    (``activity.refresh_activity``). True when the sync, scores, playbooks and timeline were written."""
    from data_access.activity import refresh_activity
    from data_access.health import refresh_health
    from data_access.playbooks import refresh_playbooks
    from data_access.renewal_deals import publish_renewal_deals

    if refresh_customers(rt) is None:
        return False
    scored = refresh_health(rt) is not None
    opened = refresh_playbooks(rt) is not None
    try:
        publish_renewal_deals(rt)
    except Exception as e:  # noqa: BLE001 - the database's or the store's (Redis) errors: the deal lists keep
        log.warning("renewal deals not published: %s", type(e).__name__)  # the last set; the next run retries
    return refresh_activity(rt) is not None and scored and opened


# ---------------------------------------------------------------------------------------------
# The Customers page: one page of customers, filtered, sorted and paged in the database

SORTABLE = ("name", "segment", "owner", "arr_usd", "last_invoice_date", "tier", "health", "contract_end")
RENEWS_WITHIN = (30, 60, 90)


@dataclass(frozen=True)
class CustomerPage:
    """One page of the customer table: ``rows`` (dicts: ``customer_id`` str, ``name`` str, ``segment`` str,
    ``tier`` / ``owner`` str or None, ``arr_usd`` float USD, ``last_invoice_date`` date or None,
    ``next_renewal_date`` date or None, ``next_renewal_status`` str or None — the customer's earliest
    renewal not yet renewed or churned), and ``total``: how many customers match the filters."""

    rows: list[dict]
    total: int


def customer_page(engine: Engine, today: dt.date, search: str | None = None, segment: str | None = None,
                  owner: str | None = None, renews_within_days: int | None = None, sort: str = "arr_usd",
                  descending: bool = True, page: int = 0, page_size: int = 25,
                  health: str | None = None) -> CustomerPage:
    """Customers of ``customer_profile`` (still in the warehouse) whose name contains ``search``
    (case-insensitive, bound), of ``segment`` and ``owner``, and — with ``renews_within_days`` — with an
    unresolved renewal dated on or before today + that many days (overdue included) or a contract that
    ends between today and then (``contract_end``); sorted by ``sort``
    (one of ``SORTABLE``; ties by name) and paged (``page`` 0-based). ``health`` (one of
    ``HEALTH_FILTERS``) keeps the customers whose latest health score has that status; ``sort="health"``
    sorts by that score. Rows also carry ``health_score`` (int 0–100 or None), ``health_change``
    (points over 30 days or None) and ``contract_end`` (date or None).

    Raises:
        ValueError: ``sort`` is not sortable, ``health`` unknown, or ``page`` / ``page_size`` out of range.
    """
    if page < 0 or not 1 <= page_size <= 500:
        raise ValueError("page must be ≥ 0 and page_size 1–500")
    return _customers(engine, today, search, segment, owner, renews_within_days, sort, descending,
                      page * page_size, page_size, health)


EXPORT_MAX = 100_000  # rows in one CSV download


def customer_export(engine: Engine, today: dt.date, search: str | None = None, segment: str | None = None,
                    owner: str | None = None, renews_within_days: int | None = None, sort: str = "arr_usd",
                    descending: bool = True, health: str | None = None) -> pd.DataFrame:
    """Every customer ``customer_page`` would page through with these filters (at most ``EXPORT_MAX``),
    in its order, as a frame for the CSV download: ``customer_id``, ``customer``, ``segment``,
    ``tier``, ``owner`` (str or empty), ``arr_usd`` float USD, ``last_invoice_date``, ``contract_end``,
    ``next_renewal_date`` (ISO date str or empty), ``next_renewal_status`` (label or empty),
    ``health_score`` (Int64 0–100, null when not scored).

    Raises:
        ValueError: ``sort`` is not sortable.
    """
    rows = _customers(engine, today, search, segment, owner, renews_within_days, sort, descending, 0, EXPORT_MAX,
                      health).rows
    from data_access.renewals import STATUS_LABEL

    def day(v):
        return v.isoformat() if v else ""
    return pd.DataFrame({
        "customer_id": [r["customer_id"] for r in rows], "customer": [r["name"] for r in rows],
        "segment": [r["segment"] for r in rows], "tier": [r["tier"] or "" for r in rows],
        "owner": [r["owner"] or "" for r in rows], "arr_usd": pd.Series([r["arr_usd"] for r in rows], dtype="float64"),
        "last_invoice_date": [day(r["last_invoice_date"]) for r in rows],
        "contract_end": [day(r["contract_end"]) for r in rows],
        "next_renewal_date": [day(r["next_renewal_date"]) for r in rows],
        "next_renewal_status": [STATUS_LABEL.get(r["next_renewal_status"], "") for r in rows],
        "health_score": pd.Series([r["health_score"] for r in rows], dtype="Int64")})


HEALTH_FILTERS = tuple(STATUS_WORD)  # the health quick filter: green | yellow | red | nodata (health.status)


def _customers(engine: Engine, today: dt.date, search, segment, owner, renews_within_days, sort: str,
               descending: bool, offset: int, limit: int, health: str | None = None) -> CustomerPage:
    from data_access import health as hs
    from data_access.db import Renewal
    from data_access.renewals import UNRESOLVED

    if sort not in SORTABLE:
        raise ValueError(f"cannot sort customers by {sort!r}")
    if health is not None and health not in HEALTH_FILTERS:
        raise ValueError(f"unknown health filter {health!r}")
    cp = CustomerProfile
    with session_scope(engine) as s:
        _, now, _ = hs.scored_days(s)  # joined for the health filter and sort only
        where = [cp.in_warehouse.is_(True)]
        if search and search.strip():
            where.append(contains(cp.name, search))
        if segment:
            where.append(cp.segment == segment)
        if owner:
            where.append(cp.owner == owner)
        if renews_within_days is not None:
            horizon = today + dt.timedelta(days=int(renews_within_days))
            where.append(exists().where(Renewal.customer_id == cp.customer_id, Renewal.status.in_(UNRESOLVED),
                                        Renewal.renewal_date <= horizon)
                         | ((cp.contract_end >= today) & (cp.contract_end <= horizon)))
        if health is not None:
            where.append(hs.status_condition(now.c.score, health))
        column = now.c.score if sort == "health" else getattr(cp, sort)
        order = [column.desc().nulls_last() if descending else column.asc().nulls_last(), cp.name, cp.customer_id]
        joined = cp.__table__.outerjoin(now, now.c.customer_id == cp.customer_id)
        total = s.scalar(select(func.count()).select_from(joined).where(*where))
        found = list(s.execute(select(cp.customer_id, cp.name, cp.segment, cp.tier, cp.owner, cp.arr_usd,
                                      cp.last_invoice_date, cp.contract_end).select_from(joined).where(*where)
                               .order_by(*order).offset(offset).limit(limit)))
        next_renewal: dict[str, tuple[dt.date, str]] = {}
        for i in range(0, len(found), CHUNK):  # an export reads many pages' worth: bound the IN list
            for cid, day, status in s.execute(
                    select(Renewal.customer_id, Renewal.renewal_date, Renewal.status)
                    .where(Renewal.customer_id.in_([r[0] for r in found[i:i + CHUNK]]), Renewal.status.in_(UNRESOLVED))
                    .order_by(Renewal.renewal_date.desc())):
                next_renewal[cid] = (day, status)  # the earliest wins (read last)
    scores = hs.latest(engine, [r[0] for r in found]) if found else {}  # this page's only: cheaper than a join
    rows = [{"customer_id": cid, "name": name, "segment": seg, "tier": tier, "owner": own, "arr_usd": float(arr),
             "last_invoice_date": last, "next_renewal_date": next_renewal.get(cid, (None, None))[0],
             "next_renewal_status": next_renewal.get(cid, (None, None))[1],
             "health_score": scores[cid].score if cid in scores else None,
             "health_change": scores[cid].change if cid in scores else None, "contract_end": end}
            for cid, name, seg, tier, own, arr, last, end in found]
    return CustomerPage(rows, int(total or 0))


def contracts_ending_unrenewed(engine: Engine, today: dt.date, days: int = 60) -> list[dict]:
    """Customers (still in the warehouse) whose contract (``customer_profile.contract_end``) ends within
    ``days`` days of ``today`` (today included) and who have no renewal open, in negotiation or
    committed — nobody is working on it. Largest ARR first; dicts: ``customer_id``, ``name``, ``owner``,
    ``arr_usd`` float USD, ``contract_end`` date."""
    from data_access.db import Renewal
    from data_access.renewals import UNRESOLVED

    cp = CustomerProfile
    query = (select(cp.customer_id, cp.name, cp.owner, cp.arr_usd, cp.contract_end)
             .where(cp.in_warehouse.is_(True), cp.contract_end >= today,
                    cp.contract_end <= today + dt.timedelta(days=days - 1),
                    ~exists().where(Renewal.customer_id == cp.customer_id, Renewal.status.in_(UNRESOLVED)))
             .order_by(cp.arr_usd.desc(), cp.name, cp.customer_id))
    with session_scope(engine) as s:
        return [{"customer_id": cid, "name": name, "owner": owner, "arr_usd": float(arr), "contract_end": end}
                for cid, name, owner, arr, end in s.execute(query)]


def filter_options(engine: Engine) -> dict[str, list[str]]:
    """The segments and owners the page's quick filters offer (distinct, sorted)."""
    cp = CustomerProfile
    with session_scope(engine) as s:
        segments = [v for (v,) in s.execute(select(cp.segment).where(cp.in_warehouse.is_(True)).distinct()
                                            .order_by(cp.segment))]
        owners = [v for (v,) in s.execute(select(cp.owner).where(cp.in_warehouse.is_(True), cp.owner.is_not(None))
                                          .distinct().order_by(cp.owner))]
    return {"segment": segments, "owner": owners}


# ---------------------------------------------------------------------------------------------
# One customer's page (/customers/<id>): the profile and renewals from Pulse's database, revenue
# and contracts from the worker's cached frames (filtered in memory, never a warehouse query)

REVENUE_FRAME = "company_health/revenue_by_customer"  # year-to-date revenue per customer and month
CONTRACTS_FRAME = "demand_am/contract_spend_by_customer"  # active upfront contracts per customer
OPEN_DEALS_FRAME = "company_health/open_deals"  # open deals (this quarter's and undated)
WON_DEALS_FRAME = "company_health/won_deals"  # deals won in the 365 days to the as-of date


@dataclass(frozen=True)
class CustomerDetail:
    """What /customers/<id> shows of one customer.

    ``profile``: the ``customer_profile`` row as a dict (``customer_id``, ``name``, ``segment``, ``tier``,
    ``owner``, ``arr_usd`` float USD, ``last_invoice_date``, ``contract_start``, ``contract_end``,
    ``notes``, ``in_warehouse``, ``synced_at``, ``version``). ``renewals``: its renewals by date
    (``renewals.RenewalRow``). ``revenue_by_month``: this year's revenue, one row per month
    (``month`` datetime64, ``revenue_usd`` float USD), from the cached ``REVENUE_FRAME``; ``None``
    before its first refresh. ``contracts``: its active upfront contracts summed
    (``contract_count`` int, ``contract_usd`` / ``spend_usd`` / ``unspent_usd`` float USD), from the
    cached ``CONTRACTS_FRAME``; ``None`` when it has none or before the first refresh. ``as_of``: when
    the revenue frame was refreshed (UTC) or ``None``. ``health``: the latest ``health.Health`` or
    ``None``; ``health_history``: ``health.history`` of the last 90 days. ``deals``: its HubSpot deals
    (``related_deals``). ``activity``: its invoices, meetings and closed deals of the last 365 days,
    newest first (``activity.customer_activity``: ``occurred_at`` naive UTC, ``kind``, ``title``,
    ``detail``, ``amount_usd``, ``source_id``), ``None`` before the first refresh, and when it was
    refreshed (``activity_as_of``, UTC)."""

    profile: dict
    renewals: list
    revenue_by_month: pd.DataFrame | None
    contracts: dict | None
    as_of: dt.datetime | None
    health: object | None = None
    health_history: pd.DataFrame | None = None
    deals: list | None = None
    activity: pd.DataFrame | None = None
    activity_as_of: dt.datetime | None = None


def customer_profile(engine: Engine, customer_id: str) -> dict | None:
    """The ``customer_profile`` row of ``customer_id`` as ``CustomerDetail.profile`` holds it, or
    ``None`` when there is no such customer."""
    with session_scope(engine) as s:
        row = s.get(CustomerProfile, str(customer_id))
        if row is None:
            return None
        profile = {c: getattr(row, c) for c in ("customer_id", "name", "segment", "tier", "owner",
                                                 "last_invoice_date", "contract_start", "contract_end", "notes",
                                                 "in_warehouse", "synced_at", "version")}
        profile["arr_usd"] = float(row.arr_usd)
        return profile


def customer_detail(rt, customer_id: str) -> CustomerDetail | None:
    """One customer's page data (``CustomerDetail``), or ``None`` when ``customer_profile`` has no
    such customer. Reads Pulse's database and the frame store only."""
    from data_access.renewals import list_renewals

    profile = customer_profile(rt.db(), customer_id)
    if profile is None:
        return None
    revenue = rt.store.get(REVENUE_FRAME)
    by_month = None
    if revenue is not None:
        mine = revenue.frame[revenue.frame["customer_id"].astype(str) == profile["customer_id"]]
        by_month = (mine.assign(month=pd.to_datetime(mine["month"]), revenue_usd=mine["revenue_usd"].astype(float))
                    .groupby("month", as_index=False)["revenue_usd"].sum().sort_values("month", ignore_index=True))
    contracts = None
    cached = rt.store.get(CONTRACTS_FRAME)
    if cached is not None:
        mine = cached.frame[cached.frame["customer_id"].astype(str) == profile["customer_id"]]
        if not mine.empty:
            contracts = {"contract_count": int(mine["contract_count"].sum()),
                         **{c: float(mine[c].astype(float).sum()) for c in ("contract_usd", "spend_usd", "unspent_usd")}}
    from data_access import health

    from data_access.activity import customer_activity

    cid = profile["customer_id"]
    renewal_rows = list_renewals(rt.db(), customer_id=cid)
    events, events_at = customer_activity(rt.store, cid)
    return CustomerDetail(profile, renewal_rows, by_month, contracts,
                          revenue.meta.refreshed_at if revenue is not None else None,
                          health.latest(rt.db(), [cid]).get(cid), health.history(rt.db(), cid, rt.today()),
                          related_deals(rt.store, profile["name"], {r.hubspot_deal_id for r in renewal_rows
                                                                    if r.hubspot_deal_id}), events, events_at)


def related_deals(store, customer_name: str, renewal_deal_ids: set[str]) -> list[dict] | None:
    """The customer's HubSpot deals from the cached frames (its company is the one whose name equals the
    customer's, case and surrounding spaces ignored, as in the contract SQL): open deals, then those won
    in the last 365 days, newest close first. Dicts: ``deal_id`` str, ``deal_name``, ``stage`` (the
    open stage or ``Won``), ``amount_usd`` float USD, ``close_date`` date or None, ``owner_name``,
    ``renewal`` (a renewal links it). ``None`` before the first refresh of either frame."""
    key = customer_name.strip().lower()
    found, any_frame = [], False
    for name, stage_col in ((OPEN_DEALS_FRAME, "stage_label"), (WON_DEALS_FRAME, None)):
        cached = store.get(name)
        if cached is None:
            continue
        any_frame = True
        f = cached.frame
        mine = f[f["company_name"].fillna("").str.strip().str.lower() == key]
        for row in mine.itertuples(index=False):
            found.append({"deal_id": str(row.deal_id), "deal_name": row.deal_name,
                          "stage": getattr(row, stage_col) if stage_col else "Won",
                          "amount_usd": float(row.amount_usd or 0), "close_date": _day(row.close_date),
                          "owner_name": row.owner_name, "renewal": str(row.deal_id) in renewal_deal_ids})
    if not any_frame:
        return None
    return sorted(found, key=lambda d: (d["stage"] == "Won", -(d["close_date"] or dt.date.max).toordinal(),
                                        d["deal_id"]))
