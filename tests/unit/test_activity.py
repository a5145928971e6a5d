"""The activity timeline (``data_access.activity``, ``sql/customers/activity.sql``) on hand-built
companies whose answers are worked out below, as of 2026-11-21: the window is the 365 days
2025-11-22 … 2026-11-21 (inclusive).

Two companies:

* ``known_runtime`` as the other tests build it (``known_company`` + ``known_pages``' page
  tables): invoices only, since its HubSpot companies ("Acme Drinks Inc", "Bloom Beauty Co")
  match no QuickBooks customer's name and its meetings are on ``known_pages``' deals it lacks;
* the ``known_pages`` company on its own (``pages_runtime``): customers, invoices, sales deals
  and meetings that reach a customer through its company's deals.
"""
from __future__ import annotations

import datetime as dt
import zlib
from pathlib import Path

import pandas as pd
import pytest

from data_access import activity
from data_access.frame_store import frame_from_bytes, frame_to_bytes
from data_access.warehouse import DuckDBWarehouse, QueryError
from tests.conftest import known_runtime
from tests.fixtures import known_pages

D, T = dt.date, dt.datetime


def pages_runtime(tmp: Path, invoices: list[tuple] = (), customers: list[tuple] = (), meetings: list[tuple] = ()):
    """``known_runtime`` on the ``known_pages`` company alone (its warehouse file written first, so
    ``known_runtime`` keeps it), plus ``invoices`` ``(id, customer, date, amount)`` (one sales line
    each), ``customers`` ``(id, display name)`` and ``meetings`` ``(engagement id, start, title,
    outcome, [deal ids])``."""
    tables = known_pages.tables()
    qb, hs = tables["quickbooks"], tables["hubspot"]
    if meetings:
        extra = known_pages._table("hubspot", "engagement_meeting", ["engagement_id", "start_time", "title",
                                                                     "meeting_outcome"], [m[:4] for m in meetings])
        links = known_pages._table("hubspot", "engagement_deal", ["engagement_id", "deal_id", "engagement_type"],
                                   [(m[0], d, "MEETING") for m in meetings for d in m[4]])
        hs["engagement_meeting"] = pd.concat([hs["engagement_meeting"], extra], ignore_index=True)
        hs["engagement_deal"] = pd.concat([hs["engagement_deal"], links], ignore_index=True)
    if invoices:
        extra = known_pages._table("quickbooks", "invoice", ["id", "customer_id", "transaction_date", "currency_id",
                                                             "_fivetran_deleted", "total_amount"],
                                   [(i, c, d, "USD", False, a) for i, c, d, a in invoices])
        lines = known_pages._table("quickbooks", "invoice_line", ["invoice_id", "index", "amount", "detail_type"],
                                   [(i, 0, a, "SalesItemLineDetail") for i, _, _, a in invoices])
        qb["invoice"] = pd.concat([qb["invoice"], extra], ignore_index=True)
        qb["invoice_line"] = pd.concat([qb["invoice_line"], lines], ignore_index=True)
    if customers:
        extra = known_pages._table("quickbooks", "customer", ["id", "display_name"], list(customers))
        qb["customer"] = pd.concat([qb["customer"], extra], ignore_index=True)
    wh = DuckDBWarehouse(tmp / "known.duckdb", {"hubspot": "hubspot", "quickbooks": "quickbooks"})
    for source, frames in tables.items():
        wh.replace_tables(source, frames)
    wh.close()
    return known_runtime(tmp)


def timeline(rt, customer_id: str) -> list[tuple]:
    """The customer's events as ``(occurred_at, kind, title, detail, amount_usd, source_id)``,
    NaN shown as None."""
    frame, _ = activity.customer_activity(rt.store, customer_id)
    assert frame is not None
    frame = frame.astype(object).where(frame.notna(), None)
    return [(r.occurred_at.to_pydatetime(), r.kind, r.title, r.detail, r.amount_usd, r.source_id)
            for r in frame.itertuples(index=False)]


def test_act001_invoices_of_the_known_company(tmp_path):
    """known_company's invoices in the window, each its sales lines in USD:

    * 101 Acme Drinks: invoice 2 on the as-of date 2026-11-21, 2,000; invoice 1 on 2026-02-10,
      1,000 + 500 = 1,500 (its 1,500 sub-total line is not a sales line). Not invoice 6
      (soft-deleted) nor 7 (2025-06-15, before the window).
    * 102 Bloom Beauty: invoice 11 on 2026-10-15, 400; invoice 3 on 2026-03-05, EUR 1,000 × 1.1 =
      1,100. Not 4 (2026-11-22, after the as-of date) nor 8 (2025-01-10).
    * 103 Crest Foods: invoice 12 on 2026-10-01, 300 (the −50 discount line is not a sales line);
      invoice 5 on 2025-12-31, 700. Not 10 (2024-11-21).
    * 104 Dune Co: only invoice 9 (2025-03-01, before the window): an empty timeline.

    2 + 2 + 2 = 6 events in all, no meeting or deal (no HubSpot company has a customer's name).
    """
    rt = known_runtime(tmp_path)
    assert activity.refresh_activity(rt) == 6
    midnight = lambda *day: T(*day)  # noqa: E731 - invoices are dated: 00:00 UTC of the date
    assert timeline(rt, "101") == [(midnight(2026, 11, 21), "invoice", "Invoice 2", None, 2000.0, "2"),
                                   (midnight(2026, 2, 10), "invoice", "Invoice 1", None, 1500.0, "1")]
    assert timeline(rt, "102") == [(midnight(2026, 10, 15), "invoice", "Invoice 11", None, 400.0, "11"),
                                   (midnight(2026, 3, 5), "invoice", "Invoice 3", None, pytest.approx(1100.0), "3")]
    assert timeline(rt, "103") == [(midnight(2026, 10, 1), "invoice", "Invoice 12", None, 300.0, "12"),
                                   (midnight(2025, 12, 31), "invoice", "Invoice 5", None, 700.0, "5")]
    assert timeline(rt, "104") == []
    assert rt.store.get_outcome(activity.OUTCOME) | {"attempted_at": None, "duration_s": None} == {
        "ok": True, "attempted_at": None, "rows": 6, "customers": 3, "shards": activity.SHARDS, "duration_s": None}


def test_act002_meetings_and_closed_deals_reach_the_customer_of_the_company_name(tmp_path):
    """known_pages' sales deals closed in the window, on the customer whose name is their company's
    (case ignored), with its invoices:

    * 101 Acme Drinks (company 601): invoices 6 (2026-10-15, EUR 1,000 × 1.5 = 1,500), 5 (09-15,
      3,000), 4 (08-01, 2,500), 3 (07-01, 2,500 + 1,500 = 4,000), 2 (06-01, 4,000) — not 1
      (2025-06-15), 7 (after as-of), 8 (deleted); won deals 202 (09-01, 6,000), 212 (06-02, amount
      0: still a won deal), 201 (06-01, 10,000) — not 211 (soft-deleted). 5 + 3 = 8 events.
    * 102 "BLOOM BEAUTY" (company "Bloom Beauty"): invoices 10 (10-20, 600), 9 (09-12, 1,200); won
      deal 203 (09-12, 12,000) — not 210 (closes 2026-11-25, after as-of). 3 events.
    * 104 Dune Co (604): meeting 9010 (2026-11-17 15:00 UTC, COMPLETED) on its open deal 221 — not
      9012 (11-24: the future); invoices 13 (09-01, 1,000), 12 (03-01, 2,500), 11 (2025-12-01,
      2,000); won deals 206 (08-24, 3,000), 205 (2025-12-01, 4,000: inside the window by 9 days).
    * 106 Fjord Foods (605): lost deal 225 (10-01, 9,000), won 208 (06-01, 1,000), 207 (02-01,
      1,000); invoice 16 (02-01, 2,500). Its open deal 224 is no event.
    * 107 Gale Co: deal 209 and invoice 17 are from 2024: nothing.

    Never on a timeline: deal 204 and 222 (Crest Foods: no QuickBooks customer of that name), the
    supply deals and their meetings (not a sales pipeline), meeting 9011 (on no deal), 9007/9008
    (cancelled, rescheduled).
    """
    rt = pages_runtime(tmp_path)
    rows = activity.refresh_activity(rt)
    assert timeline(rt, "101") == [
        (T(2026, 10, 15), "invoice", "Invoice 6", None, 1500.0, "6"),
        (T(2026, 9, 15), "invoice", "Invoice 5", None, 3000.0, "5"),
        (T(2026, 9, 1), "deal_won", "Deal 202", "Closed Won", 6000.0, "202"),
        (T(2026, 8, 1), "invoice", "Invoice 4", None, 2500.0, "4"),
        (T(2026, 7, 1), "invoice", "Invoice 3", None, 4000.0, "3"),
        (T(2026, 6, 2), "deal_won", "Deal 212", "Closed Won", 0.0, "212"),
        (T(2026, 6, 1), "deal_won", "Deal 201", "Closed Won", 10000.0, "201"),
        (T(2026, 6, 1), "invoice", "Invoice 2", None, 4000.0, "2"),
    ]
    assert timeline(rt, "102") == [
        (T(2026, 10, 20), "invoice", "Invoice 10", None, 600.0, "10"),
        (T(2026, 9, 12), "deal_won", "Deal 203", "Closed Won", 12000.0, "203"),
        (T(2026, 9, 12), "invoice", "Invoice 9", None, 1200.0, "9"),
    ]
    assert timeline(rt, "104") == [
        (T(2026, 11, 17, 15), "meeting", "Meeting 9010", "COMPLETED", None, "9010"),
        (T(2026, 9, 1), "invoice", "Invoice 13", None, 1000.0, "13"),
        (T(2026, 8, 24), "deal_won", "Deal 206", "Closed Won", 3000.0, "206"),
        (T(2026, 3, 1), "invoice", "Invoice 12", None, 2500.0, "12"),
        (T(2025, 12, 1), "deal_won", "Deal 205", "Closed Won", 4000.0, "205"),
        (T(2025, 12, 1), "invoice", "Invoice 11", None, 2000.0, "11"),
    ]
    assert timeline(rt, "106") == [
        (T(2026, 10, 1), "deal_lost", "Deal 225", "Closed Lost", 9000.0, "225"),
        (T(2026, 6, 1), "deal_won", "Deal 208", "Closed Won", 1000.0, "208"),
        (T(2026, 2, 1), "deal_won", "Deal 207", "Closed Won", 1000.0, "207"),
        (T(2026, 2, 1), "invoice", "Invoice 16", None, 2500.0, "16"),
    ]
    assert timeline(rt, "105") == [(T(2026, 5, 5), "invoice", "Invoice 14", None, 700.0, "14")]  # Elm: no company
    assert timeline(rt, "107") == []
    assert rows == 8 + 3 + 6 + 4 + 1  # 22: nothing else reached any customer


def test_act003_newest_first_ties_by_kind_then_source_id(tmp_path):
    """Same-day events: by kind (deal_lost < deal_won < invoice < meeting), then source id as text.
    Invoices 1001 and 1002 (both 2026-11-20) join 105's invoice 14 of 2026-05-05: 1001 before
    1002, both before 14; every shard is stored in that order, customer by customer."""
    rt = pages_runtime(tmp_path, invoices=[(1002, 105, D(2026, 11, 20), 20.0), (1001, 105, D(2026, 11, 20), 10.0)])
    activity.refresh_activity(rt)
    assert [e[5] for e in timeline(rt, "105")] == ["1001", "1002", "14"]
    assert [e[5] for e in timeline(rt, "101")][-2:] == ["201", "2"]  # 06-01: deal_won before invoice
    for n in range(activity.SHARDS):
        frame = rt.store.get(activity.frame_name(n)).frame
        for _, events in frame.groupby("customer_id", sort=False):
            assert events.equals(events.sort_values(list(activity.ORDER_BY), ascending=list(activity.ASCENDING)))


def test_act004_at_most_the_25_newest_events_per_customer(tmp_path):
    """30 more invoices of 105 Elm Outfitters, ids 1001 … 1030 dated 2026-10-23 … 2026-11-21 (one a
    day, amount = 10 × its day number k = 1 … 30), and its own invoice 14 (2026-05-05): 31 events,
    25 kept: invoices 1030 (11-21) back to 1006 (10-28); 1001 … 1005 and 14 are dropped. The cap is
    per customer: 101 keeps its 8."""
    extra = [(1000 + k, 105, D(2026, 10, 22) + dt.timedelta(days=k), 10.0 * k) for k in range(1, 31)]
    rt = pages_runtime(tmp_path, invoices=extra)
    assert activity.refresh_activity(rt) == 22 - 1 + activity.MAX_EVENTS  # 105 had 1 event, now 25
    events = timeline(rt, "105")
    assert len(events) == activity.MAX_EVENTS == 25
    assert [e[5] for e in events] == [str(i) for i in range(1030, 1005, -1)]
    assert (events[0][0], events[0][4]) == (T(2026, 11, 21), 300.0)
    assert (events[-1][0], events[-1][4]) == (T(2026, 10, 28), 60.0)
    assert len(timeline(rt, "101")) == 8


def test_act005_several_customers_of_one_name_the_lowest_id_gets_the_company(tmp_path):
    """Customer 108 " acme drinks " has Acme Drinks' name (case and spaces ignored): the company's
    deals stay with the lowest id, 101 (as intermediate/contract_spend pools them); 108 gets only
    its own invoice 1001 (2026-11-01, 50)."""
    rt = pages_runtime(tmp_path, customers=[(108, " acme drinks ")], invoices=[(1001, 108, D(2026, 11, 1), 50.0)])
    activity.refresh_activity(rt)
    assert timeline(rt, "108") == [(T(2026, 11, 1), "invoice", "Invoice 1001", None, 50.0, "1001")]
    assert [e[5] for e in timeline(rt, "101") if e[1] == "deal_won"] == ["202", "212", "201"]


def test_act006_shards_are_stable_and_every_one_is_written(tmp_path):
    """A customer's shard is CRC-32 of its id mod 32 (``zlib.crc32(b"101") % 32`` = 28, the same in
    every process); all 32 shards are written after a refresh, those without events empty with the
    timeline's columns and dtypes; a customer's events are only in its shard."""
    assert activity.SHARDS == 32
    assert [activity.shard_of(c) for c in ("101", "102", "104", "105", "106", "107")] == [28, 6, 19, 5, 31, 9]
    assert activity.shard_of("101") == zlib.crc32(b"101") % 32 == activity.shard_of(101)
    assert activity.frame_name(7) == "customers/activity/7"
    with pytest.raises(ValueError):
        activity.frame_name(activity.SHARDS)
    rt = pages_runtime(tmp_path)
    assert activity.customer_activity(rt.store, "101") == (None, None)  # never refreshed
    rows = activity.refresh_activity(rt)
    shards = {n: rt.store.get(activity.frame_name(n)) for n in range(activity.SHARDS)}
    assert all(c is not None for c in shards.values())
    assert sum(len(c.frame) for c in shards.values()) == rows == 22
    with_events = {n for n, c in shards.items() if len(c.frame)}
    assert with_events == {28, 6, 19, 5, 31}  # 107 (shard 9) has none
    for n, cached in shards.items():
        assert dict(cached.frame.dtypes.astype(str)) == activity.COLUMNS
        assert list(cached.frame.columns) == list(activity.COLUMNS)
        assert {activity.shard_of(c) for c in cached.frame["customer_id"]} <= {n}
        assert (cached.meta.query, cached.meta.rows, cached.meta.as_of) == (activity.frame_name(n), len(cached.frame),
                                                                            D(2026, 11, 21))
        # as Redis stores it (Arrow IPC): the same columns and dtypes, also for an empty shard
        back = frame_from_bytes(frame_to_bytes(cached)).frame
        assert dict(back.dtypes.astype(str)) == activity.COLUMNS and back.equals(cached.frame)
    empty, refreshed_at = activity.customer_activity(rt.store, "107")
    assert empty is not None and empty.empty and refreshed_at == shards[9].meta.refreshed_at


def test_act007_a_failing_query_keeps_the_last_shards_and_records_the_error(tmp_path):
    """After a good refresh the warehouse loses its tables: the refresh returns None, records
    ``QueryError`` as the outcome (on /status: failing) and every shard stays as it was."""
    from data_access.status import job_statuses

    rt = pages_runtime(tmp_path)
    assert activity.refresh_activity(rt) == 22
    before = {n: rt.store.get(activity.frame_name(n)) for n in range(activity.SHARDS)}
    rt.warehouse().close()
    rt._warehouse = DuckDBWarehouse(tmp_path / "empty.duckdb", {"hubspot": "hubspot", "quickbooks": "quickbooks"})
    with pytest.raises(QueryError):  # what refresh_activity meets
        rt.warehouse().run(activity.QUERY, {"as_of_date": D(2026, 11, 21), "sales_pipeline_ids": ("default",)})
    assert activity.refresh_activity(rt) is None
    assert all(rt.store.get(activity.frame_name(n)) is before[n] for n in range(activity.SHARDS))
    outcome = rt.store.get_outcome(activity.OUTCOME)
    assert (outcome["ok"], outcome["error_class"]) == (False, "QueryError")
    assert "customers/activity" in outcome["error"]
    job = {j["job"]: j for j in job_statuses(rt)}[activity.OUTCOME]
    assert job["state"] == "failing" and job["message"].startswith("QueryError: ")
    assert len(timeline(rt, "101")) == 8  # pages still read the last timeline


def test_act008_a_frame_of_the_wrong_shape_is_refused_before_any_shard_is_written(tmp_path):
    """A query result without ``source_id`` (e.g. an override gone wrong) fails the refresh like a
    warehouse error: no shard is written, the outcome names the missing column."""
    rt = known_runtime(tmp_path)

    class Broken:
        name = "broken"

        def run(self, query, params):
            return pd.DataFrame({c: [] for c in activity.COLUMNS if c != "source_id"})

    rt._warehouse = Broken()
    assert activity.refresh_activity(rt) is None
    assert all(rt.store.get(activity.frame_name(n)) is None for n in range(activity.SHARDS))
    assert "source_id" in rt.store.get_outcome(activity.OUTCOME)["error"]


def test_act009_the_window_is_the_365_days_ending_on_the_as_of_date(tmp_path):
    """Gale Co (107, no event of its own in the window) gets invoices on 2025-11-22 (the window's
    first day: in), 2025-11-21 (the day before: out), 2026-11-21 (the as-of date: in) and
    2026-11-22 (the day after: out)."""
    rt = pages_runtime(tmp_path, invoices=[(1001, 107, D(2025, 11, 22), 1.0), (1002, 107, D(2025, 11, 21), 2.0),
                                           (1003, 107, D(2026, 11, 21), 3.0), (1004, 107, D(2026, 11, 22), 4.0)])
    activity.refresh_activity(rt)
    assert [(e[0], e[5]) for e in timeline(rt, "107")] == [(T(2026, 11, 21), "1003"), (T(2025, 11, 22), "1001")]


def test_act010_a_meeting_on_several_deals_of_the_company_is_one_event(tmp_path):
    """Meeting 9101 (2026-11-21 20:00 UTC, the as-of date's evening: in; no title, no outcome) is on
    Acme's deals 201 and 202 and on Dune's 221: one event for 101 (not two) and one for 104, titled
    "Meeting", detail None, no amount."""
    rt = pages_runtime(tmp_path, meetings=[(9101, T(2026, 11, 21, 20), None, None, [201, 202, 221])])
    activity.refresh_activity(rt)
    event = (T(2026, 11, 21, 20), "meeting", "Meeting", None, None, "9101")
    assert [e for e in timeline(rt, "101") if e[1] == "meeting"] == [event]
    assert timeline(rt, "104")[0] == event and len(timeline(rt, "104")) == 7
