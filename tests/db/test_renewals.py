"""Customers and renewals in Pulse's database, on SQLite and PostgreSQL: the customer sync from the
warehouse (values of the hand-built company), audited renewal writes and stale edits refused, malformed
renewals rejected with a message per field (nothing written), the renewal KPIs on renewals whose answer
is known, and the demo renewals written once."""
from __future__ import annotations

import datetime as dt
import decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from data_access import renewal_metrics as rm
from data_access import renewals
from data_access.customers import sync_customers
from data_access.db import AuditEvent, CustomerProfile, Renewal, StaleEdit, session_scope
from data_access.demo_renewals import seed_demo_renewals
from data_access.refresh import query_params
from data_access.renewals import RenewalError, check_renewal
from tests.conftest import known_runtime

AS_OF = dt.date(2026, 11, 21)
D = decimal.Decimal


def _count(engine, model) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def _profiles(engine) -> dict[str, CustomerProfile]:
    with session_scope(engine) as s:
        return {p.customer_id: p for p in s.scalars(select(CustomerProfile))}


def test_rnw001_the_sync_copies_the_warehouse_customers_and_keeps_pulse_fields(migrated, directory):
    # ARR = invoiced revenue in the 365 days to 2026-11-21: Acme 1,500 + 2,000; Bloom EUR 1,000 × 1.1 + 400;
    # Crest 700 + 300 (its discount line is not revenue); Dune only before the window
    result = sync_customers(migrated, directory)
    assert (result.inserted, result.updated, result.retired) == (4, 0, 0)
    got = _profiles(migrated)
    assert {k: (p.name, p.segment, p.arr_usd) for k, p in got.items()} == {
        "101": ("Acme Drinks", "Beverage", D("3500.00")), "102": ("Bloom Beauty", "Beauty", D("1500.00")),
        "103": ("Crest Foods", "Unclassified", D("1000.00")), "104": ("Dune Co", "Beverage", D("0.00"))}
    assert got["101"].last_invoice_date == AS_OF and got["104"].last_invoice_date == dt.date(2025, 3, 1)
    with session_scope(migrated) as s:  # Pulse's own fields, set by people
        s.get(CustomerProfile, "101").tier, s.get(CustomerProfile, "101").owner = "Enterprise", "Dana AM"
    later = directory[directory["customer_id"] != "104"].assign(owner_name=["Rep A", "Rep B", None])
    later.loc[later["customer_id"] == "102", "customer_name"] = "Bloom Beauty Ltd"
    result = sync_customers(migrated, later)
    assert (result.inserted, result.updated, result.retired) == (0, 3, 1)
    got = _profiles(migrated)
    assert (got["101"].tier, got["101"].owner) == ("Enterprise", "Dana AM")  # an owner set in Pulse stays
    assert (got["102"].name, got["102"].owner) == ("Bloom Beauty Ltd", "Rep B")  # a missing owner is filled
    assert got["104"].in_warehouse is False and got["101"].in_warehouse is True


def test_rnw002_a_bad_directory_writes_nothing(migrated, directory):
    with pytest.raises(ValueError, match="repeats ids"):
        sync_customers(migrated, pd.concat([directory, directory.head(1)]))
    with pytest.raises(ValueError, match="lacks columns"):
        sync_customers(migrated, directory.drop(columns=["arr_usd"]))
    assert _count(migrated, CustomerProfile) == 0


GOOD = {"customer_id": "101", "hubspot_deal_id": "", "status": "open", "renewal_date": "2027-01-15",
        "current_value_usd": "$3,500", "proposed_value_usd": "", "risk_level": "medium", "owner": "Dana AM",
        "notes": "Wants a 2-year term"}


def test_rnw003_writes_are_audited_and_a_stale_edit_loses_nothing(customers):
    created = renewals.create_renewal(customers, check_renewal(GOOD, customers), "mgr@x.com")
    assert (created.customer_name, created.current_value_usd, created.proposed_value_usd, created.version) == \
        ("Acme Drinks", D("3500.00"), None, 1)
    edit = check_renewal({**GOOD, "status": "committed", "proposed_value_usd": "3,800.50"}, customers)
    saved = renewals.update_renewal(customers, created.id, 1, edit, "admin@x.com")
    assert (saved.status, saved.proposed_value_usd, saved.version) == ("committed", D("3800.50"), 2)
    with pytest.raises(StaleEdit, match="changed by someone else — reload"):
        renewals.update_renewal(customers, created.id, 1, check_renewal({**GOOD, "status": "churned"}, customers),
                                "other@x.com")
    assert renewals.get_renewal(customers, created.id).status == "committed"
    unchanged = renewals.update_renewal(customers, created.id, 2, edit, "admin@x.com")
    assert unchanged.version == 2  # nothing changed: no write, no audit event
    changes = renewals.renewal_changes(customers)
    assert [(c.action, c.actor) for c in changes] == [("update", "admin@x.com"), ("create", "mgr@x.com")]
    assert changes[0].changed(renewals.FIELD_LABEL) == ["status", "proposed_value_usd"]
    assert changes[0].before["status"] == "open" and changes[0].after["proposed_value_usd"] == 3800.5
    assert renewals.get_renewal(customers, created.id).form_values()["proposed_value_usd"] == "3800.50"


@pytest.mark.parametrize("field,value,message", [
    ("customer_id", "999", "Not a customer Pulse knows"),
    ("customer_id", "", "Choose a customer"),
    ("renewal_date", "", "Enter the renewal date"),
    ("renewal_date", "2027-02-30", "YYYY-MM-DD"),
    ("renewal_date", "1999-12-31", "between 2000 and 2100"),
    ("renewal_date", "next week", "YYYY-MM-DD"),
    ("current_value_usd", "-5", "0 or more"),
    ("current_value_usd", "", "Enter an amount"),
    ("current_value_usd", "12,34", "Not an amount"),
    ("current_value_usd", "1e400", "Not an amount"),
    ("current_value_usd", "2,000,000,000", "at most USD 1,000,000,000"),
    ("current_value_usd", "10.005", "whole cents"),
    ("proposed_value_usd", "NaN", "Not an amount"),
    ("status", "won", "choose one of the options"),
    ("risk_level", "critical", "choose one of the options"),
    ("hubspot_deal_id", "12a", "digits only"),
    ("owner", "x" * 201, "at most 200"),
    ("notes", "bell\x07", "control characters"),
])
def test_rnw004_a_malformed_renewal_is_refused_with_a_message_and_nothing_written(customers, field, value, message):
    with pytest.raises(RenewalError) as e:
        check_renewal({**GOOD, field: value}, customers)
    assert message.lower() in e.value.errors[field].lower(), e.value.errors
    assert _count(customers, Renewal) == 0 and _count(customers, AuditEvent) == 0


def test_rnw005_the_database_refuses_what_the_form_would(customers):
    row = {"customer_id": "101", "status": "open", "renewal_date": AS_OF, "current_value_usd": D("-1"),
           "risk_level": "low", "owner": "", "notes": "", "created_by": "x", "version": 1,
           "created_at": dt.datetime.now(dt.timezone.utc), "updated_at": dt.datetime.now(dt.timezone.utc)}
    for bad in ({"current_value_usd": D("-1")}, {"current_value_usd": D(1), "status": "won"},
                {"current_value_usd": D(1), "customer_id": "999"}):
        with pytest.raises(IntegrityError), session_scope(customers) as s:
            s.execute(insert(Renewal), [{**row, **bad}])
    assert _count(customers, Renewal) == 0


VALUE = st.one_of(st.none(), st.text(max_size=30), st.integers(-5, 10**12), st.booleans(),
                  st.floats(allow_nan=True, allow_infinity=True), st.dates().map(dt.date.isoformat),
                  st.sampled_from(["101", "open", "churned", "high", "1,000", "$12.50", "1e400", "2027-01-01",
                                   "<script>alert(1)</script>", "' OR 1=1 --", "0"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({f: VALUE for f in GOOD}))
def test_rnw006_any_form_is_a_valid_renewal_or_a_message_per_field(customers, values):
    try:
        renewal = check_renewal(values, customers)
    except RenewalError as e:
        assert e.errors and all(isinstance(m, str) and m for m in e.errors.values())
        return
    assert renewal.customer_id in {"101", "102", "103", "104"}
    assert D(0) <= renewal.current_value_usd <= renewals.MAX_USD
    assert renewals.EARLIEST <= renewal.renewal_date <= renewals.LATEST


# status, days from as-of, risk, current value: the renewal KPIs' known answers
BOOK = [
    ("open", -10, "high", 1000),  # overdue: due and at risk
    ("in_negotiation", 0, "low", 2000),  # due today
    ("open", 89, "medium", 4000),  # last day of the 90-day window
    ("open", 90, "high", 8000),  # outside the 90 days; at risk (within 365)
    ("committed", 30, "high", 16000),  # committed: neither due nor at risk
    ("open", 365, "high", 32000),  # one day past the at-risk window
    ("renewed", -364, "low", 100),  # first day of the renewal-rate window
    ("renewed", -5, "low", 200),
    ("churned", -100, "high", 300),
    ("churned", -365, "low", 400),  # one day before the window
    ("renewed", 3, "low", 500),  # dated in the future: not in the trailing window
]


def _book(engine) -> None:
    with session_scope(engine) as s:
        for status, days, risk, value in BOOK:
            s.add(Renewal(customer_id="102", status=status, renewal_date=AS_OF + dt.timedelta(days=days),
                          current_value_usd=D(value), risk_level=risk, created_by="t"))


def test_rnw007_the_renewal_kpis_on_a_known_book(customers):
    empty = rm.frames(customers, AS_OF)
    assert empty[rm.DUE_FRAME]["value"].iloc[0] == 0 and pd.isna(empty[rm.RATE_FRAME]["value"].iloc[0])
    assert empty[rm.BY_MONTH].empty and list(empty[rm.BY_MONTH].columns) == \
        ["month", "status", "status_order", "value_usd", "renewal_count"]
    _book(customers)
    f = rm.frames(customers, AS_OF)
    due = f[rm.DUE_FRAME].iloc[0]
    assert (due["value"], due["renewal_count"], due["overdue_count"], due["overdue_usd"]) == (7000, 3, 1, 1000)
    assert f[rm.DUE_LIST]["current_value_usd"].sum() == due["value"]  # the list adds up to the card
    assert f[rm.DUE_LIST]["days_to_renewal"].tolist() == [-10, 0, 89]
    rate = f[rm.RATE_FRAME].iloc[0]
    assert (rate["renewed_count"], rate["churned_count"]) == (2, 1) and rate["value"] == pytest.approx(2 / 3)
    risk = f[rm.AT_RISK_FRAME].iloc[0]
    assert (risk["value"], risk["renewal_count"]) == (9000, 2)
    assert sorted(f[rm.AT_RISK_LIST]["current_value_usd"]) == [1000, 8000]
    by_month = f[rm.BY_MONTH]  # Nov 2026 … Oct 2027: every status
    nov = by_month[by_month["month"] == dt.date(2026, 11, 1)]
    assert dict(zip(nov["status"], nov["value_usd"])) == {"Open": 1000, "In negotiation": 2000, "Renewed": 700}
    assert by_month["value_usd"].sum() == 1000 + 2000 + 4000 + 8000 + 16000 + 200 + 500
    assert f[rm.RESOLVED_LIST]["customer_name"].unique().tolist() == ["Bloom Beauty"]


def test_rnw008_demo_renewals_are_written_once_and_never_over_peoples_work(customers):
    n = seed_demo_renewals(customers, AS_OF, seed=7)
    assert n == 3  # the customers invoiced in the last 365 days: Acme, Bloom, Crest
    with session_scope(customers) as s:
        rows = s.scalars(select(Renewal)).all()
        assert {r.customer_id for r in rows} == {"101", "102", "103"}
        assert all(r.current_value_usd >= 100 and r.current_value_usd % 100 == 0 for r in rows)
        assert all((r.status in ("renewed", "churned")) == (r.renewal_date < AS_OF) for r in rows)
        upcoming = [r for r in rows if r.renewal_date >= AS_OF]  # their contracts end on the renewal day
        assert upcoming
        for r in upcoming:
            p = s.get(CustomerProfile, r.customer_id)
            assert (p.tier, p.contract_end, p.contract_start) == ("SMB", r.renewal_date,
                                                                  r.renewal_date - dt.timedelta(days=365))
    assert _count(customers, AuditEvent) == 3 + len(upcoming)  # each renewal, and each profile it dated
    assert seed_demo_renewals(customers, AS_OF, seed=7) == 0 and _count(customers, Renewal) == 3


def test_rnw009_customer_search_binds_what_was_typed(customers):
    assert [o["label"] for o in renewals.customer_options(customers, "bloom")] == ["Bloom Beauty"]
    assert renewals.customer_options(customers, "%") == []  # a wildcard is a character, not a pattern
    assert renewals.customer_options(customers, "' OR 1=1 --") == []
    assert [o["value"] for o in renewals.customer_options(customers, "dune", include="101")] == ["101", "104"]


def test_rnw010_the_customer_table_is_searched_filtered_sorted_and_paged_in_the_database(customers):
    from data_access.customers import customer_page, filter_options

    _book(customers)  # Bloom Beauty: unresolved renewals from 10 days overdue on
    renewals.create_renewal(customers, check_renewal({**GOOD, "renewal_date": "2027-06-01"}, customers), "m")
    with session_scope(customers) as s:
        s.get(CustomerProfile, "103").owner = "Rep C"
    first = customer_page(customers, AS_OF)  # default: ARR, largest first
    assert [r["name"] for r in first.rows] == ["Acme Drinks", "Bloom Beauty", "Crest Foods", "Dune Co"]
    assert first.total == 4 and first.rows[0]["arr_usd"] == 3500.0
    bloom = first.rows[1]  # its earliest unresolved renewal (the overdue one)
    assert (bloom["next_renewal_date"], bloom["next_renewal_status"]) == (AS_OF - dt.timedelta(days=10), "open")
    assert first.rows[2]["next_renewal_date"] is None
    assert [r["name"] for r in customer_page(customers, AS_OF, sort="name", descending=False).rows] == \
        ["Acme Drinks", "Bloom Beauty", "Crest Foods", "Dune Co"]
    paged = customer_page(customers, AS_OF, sort="name", descending=True, page=1, page_size=3)
    assert [r["name"] for r in paged.rows] == ["Acme Drinks"] and paged.total == 4
    assert [r["name"] for r in customer_page(customers, AS_OF, search="BLOOM").rows] == ["Bloom Beauty"]
    assert customer_page(customers, AS_OF, search="%").total == 0  # a wildcard is a character
    assert [r["name"] for r in customer_page(customers, AS_OF, segment="Beverage").rows] == ["Acme Drinks", "Dune Co"]
    assert [r["name"] for r in customer_page(customers, AS_OF, owner="Rep C").rows] == ["Crest Foods"]
    # renews within 30 days: Bloom (overdue and today); Acme renews on 2027-06-01, 192 days out
    assert [r["name"] for r in customer_page(customers, AS_OF, renews_within_days=30).rows] == ["Bloom Beauty"]
    assert customer_page(customers, AS_OF, renews_within_days=365).total == 2
    assert filter_options(customers) == {"segment": ["Beauty", "Beverage", "Unclassified"], "owner": ["Rep C"]}
    with pytest.raises(ValueError, match="cannot sort"):
        customer_page(customers, AS_OF, sort="notes; drop table renewal")


def test_rnw011_a_customer_page_reads_its_profile_renewals_and_cached_revenue(customers, tmp_path):
    """/customers/<id>'s data: the profile and renewals from Pulse's database, this year's revenue by
    month from the cached frame (the hand-built company: Bloom Beauty invoiced 1,100 in March and 400
    in October), and only this customer's renewal changes."""
    from types import SimpleNamespace

    from data_access.customers import CONTRACTS_FRAME, REVENUE_FRAME, customer_detail
    from data_access.refresh import refresh_query

    known = known_runtime(tmp_path)
    store = known.store
    before = SimpleNamespace(db=lambda: customers, store=store, today=lambda: AS_OF)
    assert customer_detail(before, "102").revenue_by_month is None  # before the first refresh
    params = query_params(known.settings, known.targets().targets, known.today())
    for query in (REVENUE_FRAME, CONTRACTS_FRAME):
        assert refresh_query(known.warehouse(), store, query, params).ok
    _book(customers)
    other = renewals.create_renewal(customers, check_renewal(GOOD, customers), "mgr@x.com")  # Acme's
    rt = SimpleNamespace(db=lambda: customers, store=store, today=lambda: AS_OF)

    bloom = customer_detail(rt, "102")
    assert (bloom.profile["name"], bloom.profile["segment"], bloom.profile["arr_usd"]) == ("Bloom Beauty", "Beauty", 1500.0)
    assert bloom.revenue_by_month["revenue_usd"].tolist() == [1100.0, 400.0]
    assert [m.month for m in bloom.revenue_by_month["month"]] == [3, 10]
    assert len(bloom.renewals) == len(BOOK) and {r.customer_id for r in bloom.renewals} == {"102"}
    assert [r.renewal_date for r in bloom.renewals] == sorted(r.renewal_date for r in bloom.renewals)
    assert bloom.contracts is None  # the hand-built contracts are not linked to a QuickBooks customer
    acme = customer_detail(rt, "101")
    assert acme.revenue_by_month["revenue_usd"].sum() == 3500.0 and [r.id for r in acme.renewals] == [other.id]
    assert [c.entity_id for c in renewals.renewal_changes(customers, 20, [r.id for r in acme.renewals])] == \
        [str(other.id)]
    assert customer_detail(rt, "999") is None and customer_detail(rt, "1' or '1'='1") is None

    from data_access.customers import OPEN_DEALS_FRAME, WON_DEALS_FRAME, related_deals

    assert acme.deals is None  # the deal frames are not refreshed yet
    for query in (OPEN_DEALS_FRAME, WON_DEALS_FRAME):
        assert refresh_query(known.warehouse(), store, query, params).ok
    assert customer_detail(rt, "101").deals == []  # QuickBooks "Acme Drinks" ≠ HubSpot "Acme Drinks Inc"
    deals = related_deals(store, "  ACME drinks inc ", {"4"})  # the same company, case and spaces aside
    assert [(d["deal_id"], d["stage"], d["amount_usd"], d["close_date"], d["renewal"]) for d in deals] == [
        ("1", deals[0]["stage"], 10000.0, dt.date(2026, 12, 15), False), ("4", "Won", 20000.0, dt.date(2026, 9, 30), True)]
    assert deals[0]["stage"] != "Won"


def test_rnw012_status_shows_the_customer_sync_and_its_error(tmp_path):
    """/status (``status_report``'s ``jobs``): the customer sync is "never" before it runs, "ok" with
    what it did after, and "failing" with the database's error when it cannot write (the customers
    already synced stay)."""
    from data_access.customers import refresh_customers
    from data_access.status import job_statuses, status_report
    from tests.conftest import migrated_sqlite

    (tmp_path / "a").mkdir()
    rt = known_runtime(tmp_path / "a", database_url=migrated_sqlite(tmp_path / "a"))
    sync = {j["job"]: j for j in job_statuses(rt)}["system/customers"]
    assert (sync["state"], sync["last_attempt"], sync["counts"]) == ("never", None, {})
    assert refresh_customers(rt).inserted == 4
    sync = next(j for j in status_report(rt)["jobs"] if j["name"] == "Customer sync")
    assert sync["state"] == "ok" and sync["counts"] == {"inserted": 4, "updated": 0, "retired": 0}
    from data_access.health import refresh_health

    assert refresh_health(rt) == 4
    scored = {j["job"]: j for j in job_statuses(rt)}["system/health"]
    assert scored["state"] == "ok" and scored["counts"] == {"scored": 4}

    (tmp_path / "b").mkdir()
    broken = known_runtime(tmp_path / "b", database_url=f"sqlite:///{tmp_path / 'b' / 'unmigrated.db'}")
    assert refresh_customers(broken) is None
    sync = {j["job"]: j for j in job_statuses(broken)}["system/customers"]
    assert sync["state"] == "failing" and sync["message"].startswith("OperationalError: ")
    assert "customer_profile" in sync["message"]
    assert refresh_health(broken) is None  # the health job says why, and writes nothing
    assert {j["job"]: j for j in job_statuses(broken)}["system/health"]["state"] == "failing"


def test_rnw013_a_full_refresh_reads_pulse_database_once_for_every_renewal_metric(tmp_path):
    """``refresh_everything`` fetches each non-warehouse source once for all its metrics: every frame of
    the renewal metrics carries the same refresh time (one fetch), and the values agree with a fetch
    of their own."""
    from data_access.refresh import refresh_api_metrics
    from tests.conftest import migrated_sqlite

    rt = known_runtime(tmp_path, database_url=migrated_sqlite(tmp_path))
    rt.refresh_everything()
    metrics = rt.catalog.metrics_on("renewals")
    frames = [name for m in metrics for name in m.frames()]
    assert len(metrics) == 3 and len(frames) >= 6
    assert len({rt.store.get(name).meta.refreshed_at for name in frames}) == 1
    assert rt.store.get(rm.DUE_FRAME).frame["value"].iloc[0] == 0  # no renewals yet
    with pytest.raises(ValueError, match="one source"):
        refresh_api_metrics([metrics[0], rt.catalog.metrics["revenue_ytd"]], rt.store, rt.settings, AS_OF)


def test_rnw014_health_scores_on_the_known_company(customers, indicators):
    """Inputs (as of 2026-11-21): Acme invoiced 2,000 in the last 180 days and 1,500 before, today;
    Bloom 400 vs 1,100, 37 days ago; Crest 300 vs 700, 51 days ago; Dune nothing in 360 days; no
    active contract is linked to a customer. Scores, the default weights rescaled to the two
    indicators they have (0.32 trend, 0.24 invoice recency; no customer has a HubSpot company of its
    name, so none has a meeting score): Acme 100; Bloom trend 400/1100 < 0.5 → 0, recency
    (180 − 37)/150 = 95.3 → (0.24 × 95.3)/0.56 = 41; Crest 0 and 86 → 37; Dune 0."""
    from data_access import health
    from data_access.customers import customer_page

    rows = indicators.set_index("customer_id")
    assert rows.loc["102", ["revenue_recent_usd", "revenue_prior_usd", "days_since_invoice"]].tolist() == [400, 1100, 37]
    assert pd.isna(rows.loc["104", "days_since_invoice"]) and rows["contract_pace_gap"].isna().all()
    config = health.current_config(customers)
    assert config.version == 2 and [i.weight for i in config.indicators] == [0.32, 0.24, 0.24, 0.2]
    assert "revenue trend" in config.tooltip() and "× 32%" in config.tooltip() and "hubspot meeting × 20%" in config.tooltip()
    assert not rows["in_crm"].any() and rows["days_since_meeting"].isna().all()
    scores = health.score_customers(indicators, config)
    assert dict(zip(scores["customer_id"], scores["score"])) == {"101": 100, "102": 41, "103": 37, "104": 0}
    bloom = scores.set_index("customer_id").loc["102", "indicators"]
    assert bloom["revenue_trend"] == {"value": pytest.approx(0.3636, abs=1e-4), "score": 0.0, "weight": 0.32}
    assert bloom["invoice_recency"]["score"] == 95.3 and bloom["contract_pace"]["score"] is None
    assert bloom["meeting_recency"] == {"value": None, "score": None, "weight": 0.2}

    month_ago = AS_OF - dt.timedelta(days=30)  # Bloom was 70 then: a fall of 29 points
    health.write_scores(customers, month_ago, scores.assign(score=[100, 70, 40, 0]), 1)
    assert health.write_scores(customers, AS_OF, scores, 1) == 4
    assert health.write_scores(customers, AS_OF, scores, 1) == 4  # a rerun replaces the day, never doubles it
    latest = health.latest(customers)
    assert (latest["102"].score, latest["102"].change, latest["102"].status, latest["102"].falling) == (41, -29, "red", True)
    assert (latest["101"].status, latest["101"].falling, latest["103"].change) == ("green", False, -3)
    assert health.history(customers, "102", AS_OF)["score"].tolist() == [70, 41]
    page = customer_page(customers, AS_OF, sort="health", descending=False)
    assert [(r["name"], r["health_score"]) for r in page.rows] == \
        [("Dune Co", 0), ("Crest Foods", 37), ("Bloom Beauty", 41), ("Acme Drinks", 100)]
    assert [r["name"] for r in customer_page(customers, AS_OF, health="red").rows] == \
        ["Bloom Beauty", "Crest Foods", "Dune Co"]
    assert [r["name"] for r in customer_page(customers, AS_OF, health="green").rows] == ["Acme Drinks"]
    with pytest.raises(ValueError, match="health filter"):
        customer_page(customers, AS_OF, health="purple")


def test_rnw015_meeting_recency_counts_the_meetings_on_the_deals_of_the_customers_company(migrated, tmp_path):
    """The known company with HubSpot companies renamed to their customers' names (Acme Drinks: deals 1
    and 4; Bloom Beauty: deal 2) and meetings: on deal 4, Nov 1 (20 days before Nov 21) and Nov 15
    (the latest: 6 days) and one cancelled on Nov 20 (not held); on deal 2, 400 days ago (outside the
    360 days). Acme: 6 days → 100 points; Bloom: in the CRM without a meeting in 360 days → 0;
    Crest and Dune have no HubSpot company → no meeting score. Bloom's score with version 2:
    (0.32 × 0 + 0.24 × 95.3 + 0.2 × 0) / 0.76 = 30."""
    from data_access import health
    from data_access.health import INDICATORS_QUERY
    from data_access.warehouse import DuckDBWarehouse
    from tests.fixtures import known_company

    rt = known_runtime(tmp_path)  # builds the warehouse file; then its HubSpot tables are changed
    rt.warehouse().close()
    wh = DuckDBWarehouse(tmp_path / "known.duckdb", {"hubspot": "hubspot", "quickbooks": "quickbooks"})
    t = dt.datetime
    tables = known_company.hubspot()
    tables["company"] = tables["company"].assign(property_name=["Acme Drinks", "Bloom Beauty"])
    meetings = [(1, t(2026, 11, 1, 15), "COMPLETED", 4), (2, t(2026, 11, 15, 15), "COMPLETED", 4),
                (3, t(2026, 11, 20, 15), "CANCELED", 4), (4, t(2025, 10, 17, 15), "COMPLETED", 2)]
    tables["engagement_meeting"] = pd.DataFrame({"engagement_id": [m[0] for m in meetings],
                                                 "start_time": [m[1] for m in meetings],
                                                 "end_time": [m[1] + dt.timedelta(minutes=30) for m in meetings],
                                                 "meeting_outcome": [m[2] for m in meetings],
                                                 "title": [f"Meeting {m[0]}" for m in meetings]})
    tables["engagement_deal"] = pd.DataFrame({"engagement_id": [m[0] for m in meetings],
                                              "deal_id": [m[3] for m in meetings], "engagement_type": "MEETING"})
    wh.replace_tables("hubspot", tables)
    wh.close()
    rt = known_runtime(tmp_path)
    inputs = rt.warehouse().run(INDICATORS_QUERY, query_params(rt.settings, rt.targets().targets, rt.today()))
    rows = inputs.set_index("customer_id")
    assert rows["in_crm"].to_dict() == {"101": True, "102": True, "103": False, "104": False}
    assert rows.loc["101", "days_since_meeting"] == 6 and pd.isna(rows.loc["102", "days_since_meeting"])
    scores = health.score_customers(inputs, health.current_config(migrated)).set_index("customer_id")
    assert scores.loc["101", "indicators"]["meeting_recency"]["score"] == 100.0
    assert scores.loc["102", "indicators"]["meeting_recency"] == {"value": 360.0, "score": 0.0, "weight": 0.2}
    assert scores.loc["102", "score"] == 30
    assert scores.loc["103", "indicators"]["meeting_recency"]["score"] is None
