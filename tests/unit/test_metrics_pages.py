"""The Sales, COO, Supply and Demand AM metrics and views (and Company Health's time to fulfill
and churned customers) on the hand-built company of ``tests/fixtures/known_pages.py``.

Every expected value is worked out by hand from the fixture rows, in the comments."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data_access.catalog import load_catalog
from data_access.config import Settings
from data_access.frame_store import MemoryFrameStore
from data_access.metrics import snapshot, view_frame
from data_access.refresh import refresh_all
from data_access.targets import RevenuePlan, Targets
from data_access.warehouse import DuckDBWarehouse
from tests.fixtures import known_pages

AS_OF = known_pages.AS_OF
TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2000))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("pages") / "pages.duckdb", Settings().datasets)
    for source, frames in known_pages.tables().items():
        wh.replace_tables(source, frames)
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def refreshed(warehouse):
    store = MemoryFrameStore()
    catalog = load_catalog()
    results = refresh_all(warehouse, store, catalog, Settings(), TARGETS, as_of=AS_OF)
    assert [(r.query, r.error) for r in results if not r.ok] == []
    return catalog, store


def value(refreshed, metric_id):
    catalog, store = refreshed
    return snapshot(catalog.metrics[metric_id], store, TARGETS, AS_OF)


def view(refreshed, metric_id, view_id, **filters):
    catalog, store = refreshed
    v = catalog.metrics[metric_id].view(view_id)
    return view_frame(v, store.get(v.query).frame, targets=TARGETS, **filters)


def months(series) -> list[str]:
    return pd.to_datetime(series).dt.strftime("%Y-%m").tolist()


def dates(series) -> list:
    return [None if pd.isna(v) else str(v)[:10] for v in series]


# ------------------------------------------------------------------------- pages and catalog


def test_pages001_every_page_has_its_metrics():
    catalog = load_catalog()
    on = {p: [m.id for m in catalog.metrics_on(p)] for p in ("sales", "coo", "supply", "demand_am")}
    assert on["sales"] == ["pipeline_usd", "weighted_pipeline_usd", "open_deals_without_close_date", "mql_to_sql_rate",
                           "activities_last_30_days", "meetings_held_last_30_days", "win_rate", "avg_deal_size",
                           "sales_cycle_days", "nrr"]
    # top_customer_pct is customer_concentration (the same number), shown on COO through also_on
    assert on["coo"] == ["opex_vs_budget", "bill_payment_timeliness", "current_assets", "working_capital",
                         "customer_concentration"]
    assert on["supply"] == ["new_unique_inventory", "onboarded_last_7_days", "onboarding_days_in_stage",
                            "meetings_next_7_days", "meetings_last_7_days", "contacts_stuck_supply_target",
                            "lead_queue_runway_days"]
    assert on["demand_am"] == ["contract_spend_pct", "unspent_contract_usd", "time_to_fulfill_days"]
    assert {"time_to_fulfill_days", "churned_customers"} <= {m.id for m in catalog.metrics_on("company_health")}
    assert catalog.pages["demand_am"].path == "/demand-am"


def test_pages002_new_metrics_have_cadence_sla_and_tooltip():
    catalog = load_catalog()
    for mid in ("pipeline_usd", "weighted_pipeline_usd"):  # pipeline: hourly, 2-hour SLA
        assert catalog.metrics[mid].cadence.interval_minutes == 60
        assert catalog.metrics[mid].freshness_sla_minutes == 120
    daily = ["time_to_fulfill_days", "churned_customers", "opex_vs_budget", "bill_payment_timeliness",
             "current_assets", "working_capital", "new_unique_inventory", "onboarded_last_7_days",
             "onboarding_days_in_stage", "meetings_next_7_days", "meetings_last_7_days",
             "contacts_stuck_supply_target", "contract_spend_pct", "unspent_contract_usd"]
    for mid in daily:
        m = catalog.metrics[mid]
        assert m.cadence.cron and m.freshness_sla_minutes == 1560, mid
        assert m.tooltip.edge_cases and m.views and m.target is not None, mid
    # the health rule is written in the tooltip
    assert any("overdue" in e and "120" in e for e in catalog.metrics["contract_spend_pct"].tooltip.edge_cases)
    assert catalog.metrics["bill_payment_timeliness"].target == 0.95


# ------------------------------------------------------------------------- Company Health


def test_pages003_time_to_fulfill_days(refreshed):
    # contracts fulfilled in 2025-11-22..2026-11-21:
    #   201 Acme 10,000 closed 06-01: Acme invoices from 06-01 reach 10,000 on 08-01 (4,000 + 4,000
    #       + 2,500; the 2025-06-15 invoice predates Acme's first contract) → 61 days
    #   205 Dune 4,000 closed 2025-12-01: 2,000 + 2,500 on 2026-03-01 → 90 days
    #   207 Fjord 1,000 closed 02-01: 2,500 invoiced 02-01 → 0 days
    #   208 Fjord 1,000 closed 06-01: the same invoice fills it (FIFO), clamped to its close → 0 days
    #   (209 Gale was fulfilled 2024-12-01, before the window)
    # median of [0, 0, 61, 90] = (0 + 61) / 2 = 30.5
    snap = value(refreshed, "time_to_fulfill_days")
    assert snap.value == pytest.approx(30.5)
    assert snap.extras["fulfilled_count"] == 4
    assert snap.status == "green"  # ≤ 90 days
    df = view(refreshed, "time_to_fulfill_days", "time_to_fulfill_by_contract")
    got = {r.deal_id: (str(r.fulfilled_date)[:10], r.time_to_fulfill_days) for r in df.itertuples()}
    assert got == {201: ("2026-08-01", 61), 205: ("2026-03-01", 90), 207: ("2026-02-01", 0), 208: ("2026-06-01", 0)}
    assert months(df.set_index("deal_id").loc[[201], "month"]) == ["2026-08"]  # the month it was fulfilled
    only_march = view(refreshed, "time_to_fulfill_days", "time_to_fulfill_by_contract",
                      start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
    assert only_march["deal_id"].tolist() == [205]
    assert view(refreshed, "time_to_fulfill_days", "time_to_fulfill_by_contract",
                segments=["Unclassified"])["deal_id"].tolist() == [205]


def test_pages004_churned_customers_count(refreshed):
    # prior window 2024-11-22..2025-11-21: Acme 800 (2025-06-15), Gale 2,000 (2024-12-01)
    # current window: Acme has revenue, Gale none → 1 churned of a cohort of 2
    snap = value(refreshed, "churned_customers")
    assert snap.value == 1 and snap.extras["cohort_customer_count"] == 2
    assert view(refreshed, "churned_customers", "churned_customers")["customer_name"].tolist() == ["Gale Co"]


# ------------------------------------------------------------------------- Demand AM


def test_pages005_contract_spend_pct_and_unspent(refreshed):
    # active contracts (not fully spent by 11-21):
    #   202 Acme 6,000: Acme spend 15,000 (4,000 + 4,000 + 2,500 + 3,000 + EUR 1,000 × 1.5; the
    #       11-22 invoice and the soft-deleted one excluded) − 10,000 for 201 → 5,000
    #   203 Bloom 12,000 ("BLOOM BEAUTY" in QuickBooks): 1,200 + 600 → 1,800
    #   204 Crest 5,000: no QuickBooks customer → 0
    #   206 Dune 3,000: Dune spend 5,500 − 4,000 for 205 → 1,500
    #   (210 closes after as-of, 211 is soft-deleted, 212 has amount 0: no contracts)
    # spend 8,300 ÷ value 26,000
    snap = value(refreshed, "contract_spend_pct")
    assert snap.value == pytest.approx(8_300 / 26_000)
    assert snap.extras["active_contract_count"] == 4
    assert snap.status == "red"  # 31.9 % is below 50 % × (1 − 0.2) = 40 %
    # unspent: 1,000 + 10,200 + 5,000 + 1,500
    unspent = value(refreshed, "unspent_contract_usd")
    assert unspent.value == pytest.approx(17_700)
    assert unspent.extras["overdue_contract_count"] == 1 and unspent.extras["overdue_unspent_usd"] == pytest.approx(5_000)


def test_pages006_contract_spend_by_customer(refreshed):
    df = view(refreshed, "contract_spend_pct", "contract_spend_by_customer")
    got = {r.customer_name: (r.contract_usd, r.spend_usd, r.unspent_usd, r.spend_pct) for r in df.itertuples()}
    assert got == {
        "Acme Drinks": pytest.approx((6_000, 5_000, 1_000, 5 / 6)),
        "BLOOM BEAUTY": pytest.approx((12_000, 1_800, 10_200, 0.15)),
        "Crest Foods": pytest.approx((5_000, 0, 5_000, 0.0)),  # named from HubSpot: no customer
        "Dune Co": pytest.approx((3_000, 1_500, 1_500, 0.5)),
    }
    beauty = view(refreshed, "contract_spend_pct", "contract_spend_by_customer", segments=["Beauty"])
    assert beauty["customer_name"].tolist() == ["BLOOM BEAUTY"]
    # month = close month: only 206 (Dune) closed in August
    aug = view(refreshed, "contract_spend_pct", "contract_spend_by_customer",
               start=dt.date(2026, 8, 1), end=dt.date(2026, 8, 1))
    assert aug["customer_name"].tolist() == ["Dune Co"]


def test_pages007_contract_health(refreshed):
    # d = days since close, pace = min(1, d / 120):
    #   202 Acme: d = 81 (09-01 → 11-21), pace 0.675, spent 5/6 = 0.83 ≥ 0.425 → on track
    #   206 Dune: d = 89, pace 0.742, spent 0.5 ≥ 0.492 → on track
    #   203 Bloom: d = 70, pace 0.583, spent 0.15 < 0.333 → at risk
    #   204 Crest: d = 143 > 120 → overdue
    ordered = view(refreshed, "contract_spend_pct", "contract_health")
    assert ordered["health"].tolist() == ["On track", "At risk", "Overdue"]  # health order, not by unspent
    df = ordered.set_index("health")
    assert df.loc["On track", ["contract_count", "contract_usd", "spend_usd", "unspent_usd"]].tolist() == \
        pytest.approx([2, 9_000, 6_500, 2_500])
    assert df.loc["At risk", ["contract_count", "unspent_usd"]].tolist() == pytest.approx([1, 10_200])
    assert df.loc["Overdue", ["contract_count", "unspent_usd"]].tolist() == pytest.approx([1, 5_000])
    unclassified = view(refreshed, "unspent_contract_usd", "contract_health", segments=["Unclassified"])
    assert dict(zip(unclassified["health"], unclassified["unspent_usd"])) == pytest.approx(
        {"Overdue": 5_000, "On track": 1_500})


# ------------------------------------------------------------------------- Sales


def test_pages008_pipeline_and_weighted_pipeline(refreshed):
    # open deals closing in Q4 2026: 221 (20,000 × 0.5), 222 (10,000 × 0.2, slipped to 11-10),
    # 224 (3,000 × 0.5, unassigned); 223 closes in January, 225 is lost
    pipe = value(refreshed, "pipeline_usd")
    assert pipe.value == pytest.approx(33_000) and pipe.extras["open_deal_count"] == 3
    weighted = value(refreshed, "weighted_pipeline_usd")
    assert weighted.value == pytest.approx(10_000 + 2_000 + 1_500)
    by_rep = view(refreshed, "weighted_pipeline_usd", "pipeline_by_rep_stage")
    assert dict(zip(by_rep["owner_name"], by_rep["weighted_usd"])) == pytest.approx(
        {"Ana Lopez": 10_000, "Ben Kim": 2_000, "Unassigned": 1_500})


def test_pages009_deals_by_stage_age(refreshed):
    # 221: latest entry into Proposal 10-15 → 37 days (31-60)
    # 222: Qualified 10-01, Proposal 10-20, back to Qualified 11-16 → 5 days (0-7), not 51
    # 224: no stage history → from its create date 06-01 → 173 days (90+)
    df = view(refreshed, "pipeline_usd", "deals_by_stage_age")
    got = {r.deal_id: (r.stage_label, r.stage_age_days, r.age_bucket) for r in df.itertuples()}
    assert got == {221: ("Proposal", 37, "31-60 days"), 222: ("Qualified", 5, "0-7 days"),
                   224: ("Proposal", 173, "90+ days")}
    assert view(refreshed, "pipeline_usd", "deals_by_stage_age", owners=[22])["deal_id"].tolist() == [222]


# ------------------------------------------------------------------------- COO


def test_pages010_opex_vs_budget(refreshed):
    # actual, operating (account type Expense), 2026-01-01..11-21:
    #   purchases: software 1,200 (03-10) − 200 (06-01 refund) ; travel 600 + airfare 400 (11-21),
    #              EUR 100 × 1.1 = 110 (02-01)            [11-22, soft-deleted, 2025 and bank fees out]
    #   bills: rent 3,000 (10-01) + 3,000 (08-01) + 2,000 (10-15) + 3,000 (05-01) + 3,000 (11-01);
    #          software EUR 1,000 × 1.2 = 1,200 (11-02) + 500 (10-10)   [venue fees: COGS; 34 deleted]
    #   software 2,700 + travel 1,110 + rent 14,000 = 17,810
    # budget Jan–Oct + November × 21/30: software 3,000 + 210, rent 15,000 + 1,050,
    #   marketing 1,000 + 70 (the 06-15 row is June's) = 20,330   [travel has none]
    snap = value(refreshed, "opex_vs_budget")
    assert snap.value == pytest.approx(17_810 / 20_330)
    assert snap.extras["actual_usd"] == pytest.approx(17_810) and snap.extras["budget_usd"] == pytest.approx(20_330)
    assert snap.status == "green"  # under budget (lower is better)
    by_cat = view(refreshed, "opex_vs_budget", "opex_by_category").set_index("category")
    assert by_cat.loc["Software", ["actual_usd", "budget_usd"]].tolist() == pytest.approx([2_700, 3_210])
    assert by_cat.loc["Rent", "actual_vs_budget_ratio"] == pytest.approx(14_000 / 16_050)
    assert by_cat.loc["Travel", "actual_usd"] == pytest.approx(1_110) and pd.isna(by_cat.loc["Travel", "actual_vs_budget_ratio"])
    assert by_cat.loc["Marketing", "actual_vs_budget_ratio"] == 0
    # October only: rent 3,000 + 2,000, software 500 against 1,500 + 300 + 100
    oct_ = view(refreshed, "opex_vs_budget", "opex_by_category", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 1))
    assert oct_["actual_usd"].sum() == pytest.approx(5_500) and oct_["budget_usd"].sum() == pytest.approx(1_900)
    by_month = view(refreshed, "opex_vs_budget", "opex_by_month")
    assert months(by_month["month"]) == [f"2026-{m:02d}" for m in range(1, 12)]
    nov = by_month.iloc[-1]
    assert (nov["actual_usd"], nov["budget_usd"]) == pytest.approx((1_000 + 1_200 + 3_000, 1_900 * 21 / 30))


def test_pages011_bill_payment_timeliness(refreshed):
    # fully paid in 2026-08-24..11-21 (paid date = last payment once payments reach the total):
    #   31 paid 10-01, due 10-01 → on time        36 paid 11-09, due 11-09 → on time
    #   32 paid 09-20, due 09-16 → late           35 paid 1,000 + 2,000 by 08-25, due 08-01 → late
    #   39 paid 11-03, no due date (due 11-01)    → late
    #   not counted: 38 (paid 05-30), 37 (1,500 of 2,000), 40 (voided payment), 33 (unpaid), 34 (deleted)
    snap = value(refreshed, "bill_payment_timeliness")
    assert snap.value == pytest.approx(2 / 5)
    assert (snap.extras["paid_count"], snap.extras["on_time_count"], snap.extras["late_count"]) == (5, 2, 3)
    late = view(refreshed, "bill_payment_timeliness", "late_bills")
    assert list(zip(late["bill_id"], late["status"], late["late_days"])) == [
        (35, "Paid late", 24), (37, "Unpaid, past due", 7), (32, "Paid late", 4), (39, "Paid late", 2),
        (40, "Unpaid, past due", 2)]
    assert late.set_index("bill_id").loc[39, "bill_name"] == "Trail Co #39"  # vendor company name, bill id
    by_month = view(refreshed, "bill_payment_timeliness", "bill_timeliness_by_month")
    got = {m: (p, r) for m, p, r in zip(months(by_month["month"]), by_month["paid_count"], by_month["on_time_rate"])}
    assert got == {"2026-05": (1, 1.0), "2026-08": (1, 0.0), "2026-09": (1, 0.0), "2026-10": (1, 1.0),
                   "2026-11": (2, 0.5)}


def test_pages012_current_assets_and_working_capital(refreshed):
    # current assets: checking 100,000 + A/R 40,000 + A/R EUR 10,000 × 1.2 (latest EUR rate on or
    # before as-of: bill 33 on 11-02; invoice 15's 2.0 is after as-of) + prepaid 5,000 = 157,000
    # (equipment is a fixed asset, "Old Bank" is soft-deleted, the GBP account has no rate)
    assets = value(refreshed, "current_assets")
    assert assets.value == pytest.approx(157_000)
    assert assets.extras["balance_date"] == "2026-11-21"
    by_account = view(refreshed, "current_assets", "current_assets_by_account")
    assert by_account["account_name"].tolist() == ["Checking", "Accounts Receivable", "Accounts Receivable EUR",
                                                   "Prepaid Expenses"]
    assert by_account["share"].tolist() == pytest.approx([100 / 157, 40 / 157, 12 / 157, 5 / 157])
    # liabilities: A/P 30,000 + card 4,000 + accrued 6,000 = 40,000 (the term loan is long-term)
    wc = value(refreshed, "working_capital")
    assert wc.value == pytest.approx(117_000)
    assert wc.extras["current_ratio"] == pytest.approx(157_000 / 40_000)
    by_type = view(refreshed, "working_capital", "working_capital_by_type").set_index("account_type")
    assert by_type.loc["Accounts Receivable", "working_capital_usd"] == pytest.approx(52_000)
    assert by_type.loc["Credit Card", "working_capital_usd"] == pytest.approx(-4_000)
    assert by_type["working_capital_usd"].sum() == pytest.approx(117_000)


def test_pages013_balances_are_only_valid_near_the_sync(warehouse):
    # the accounts were synced 2026-11-21: valid for as-of dates 11-20 … 11-28, not 12-01
    store = MemoryFrameStore()
    catalog = load_catalog()
    late = dt.date(2026, 12, 1)
    refresh_all(warehouse, store, catalog, Settings(), TARGETS, as_of=late,
                queries=["coo/current_assets", "coo/working_capital"])
    assert snapshot(catalog.metrics["current_assets"], store, TARGETS, late).status == "nodata"
    assert snapshot(catalog.metrics["working_capital"], store, TARGETS, late).status == "nodata"
    # a week after the sync the balances still count, and the EUR account now converts at invoice
    # 15's rate (11-25, 2.0): 100,000 + 40,000 + 10,000 × 2.0 + 5,000
    week = dt.date(2026, 11, 28)
    refresh_all(warehouse, store, catalog, Settings(), TARGETS, as_of=week, queries=["coo/current_assets"])
    assert snapshot(catalog.metrics["current_assets"], store, TARGETS, week).value == pytest.approx(165_000)


# ------------------------------------------------------------------------- Supply


def test_pages014_new_unique_inventory(refreshed):
    # venues whose first space went live in 2026-10-23..11-21: Peak Fitness (11-20), Lake Arena
    # (10-23, the window's first day), Cliff Gym (11-05; offboarded on the as-of date, still new)
    # not: Quad University (first space 08-28; its second space 11-01 is not a new venue),
    # Bay Office (10-22), Ghost Hall (soft-deleted), Future Court (goes live 11-25), Old Pier
    snap = value(refreshed, "new_unique_inventory")
    assert snap.value == 3
    assert snap.extras["live_venue_count"] == 4  # Quad, Peak, Lake, Bay (Old Pier and Cliff Gym are off)
    df = view(refreshed, "new_unique_inventory", "inventory_by_event_type").set_index("event_type")
    assert df.loc["university", ["venue_count", "space_count", "capacity_count", "new_venue_count"]].tolist() == \
        [1, 2, 1_500, 0]
    assert df.loc["event", ["venue_count", "capacity_count", "new_venue_count"]].tolist() == [1, 2_000, 1]  # "Event"
    assert df.loc["fitness", ["venue_count", "capacity_count", "new_venue_count"]].tolist() == [1, 50, 1]
    assert df["share"].sum() == pytest.approx(1.0)
    # month = month the venue first went live: October → Lake Arena (event) and Bay Office (office)
    oct_ = view(refreshed, "new_unique_inventory", "inventory_by_event_type",
                start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 1))
    assert sorted(oct_["event_type"]) == ["event", "office"]


def test_pages015_onboarded_last_7_days(refreshed):
    # supply deals won in 11-15..11-21: Peak Fitness (11-18); Lake Arena (11-14) is the week before
    snap = value(refreshed, "onboarded_last_7_days")
    assert snap.value == 1 and snap.extras["prior_7_count"] == 1
    recent = view(refreshed, "onboarded_last_7_days", "recent_onboardings")
    # won in the last 90 days (08-24..11-21): Peak Fitness, Lake Arena, Quad University (08-24);
    # Old Pier Venue (08-23) is out; cycle = create → won
    assert list(zip(recent["venue_name"], recent["onboarding_cycle_days"])) == [
        ("Peak Fitness", 48), ("Lake Arena", 44), ("Quad University", 35)]
    assert view(refreshed, "onboarded_last_7_days", "recent_onboardings", owners=[31])["venue_name"].tolist() == \
        ["Quad University"]


def test_pages016_onboarding_days_in_stage(refreshed):
    # Onboarding stays that ended in 08-24..11-21: Quad 08-01 → 08-24 (23), Peak 10-10 → 11-18 (39),
    # Tower 09-10 → 10-10 (30, ended Not a Fit), Lake 10-20 → 11-14 (25); Old Pier's ended 08-23;
    # Expo Hall is still onboarding → (23 + 39 + 30 + 25) / 4 = 29.25
    snap = value(refreshed, "onboarding_days_in_stage")
    assert snap.value == pytest.approx(29.25)
    assert snap.extras["stay_count"] == 4 and snap.status == "red"  # above 21 × 1.25
    stays = view(refreshed, "onboarding_days_in_stage", "onboarding_stays")
    assert list(zip(stays["venue_name"], stays["onboarding_days"], stays["outcome"])) == [
        ("Peak Fitness", 39, "Onboarded"), ("Tower Office", 30, "Not a Fit"), ("Lake Arena", 25, "Onboarded"),
        ("Quad University", 23, "Onboarded"), ("Expo Hall", 20, "Still onboarding")]
    assert dates(stays["left_date"])[-1] is None


def test_pages017_supply_onboarding_funnel(refreshed):
    # cohort: supply deals created 2025-11-22..11-21 (all but the soft-deleted 309): 10 deals
    # furthest stage reached (history, or the current stage for 310 without history):
    #   Onboarded: 301, 302, 307, 312 · Onboarding: 303 (then Not a Fit), 304 · Contacted: 308 ·
    #   Target: 305, 306, 310 → reached ≥ Target 10, ≥ Contacted 7, ≥ Onboarding 6, Onboarded 4
    # current: Target 305, 306, 308, 310 · Onboarding 304 · Onboarded 4
    # median days of ended stays: Target [8, 4, 2, 5, 4, 19, 9] → 5; Contacted [4, 5, 7, 7, 5, 51, 10]
    # → 7; Onboarding [23, 39, 30, 22, 25] → 25; Onboarded is final → none
    df = view(refreshed, "onboarding_days_in_stage", "supply_onboarding_funnel")
    assert df["stage_label"].tolist() == ["Supply Target", "Contacted", "Onboarding", "Onboarded"]
    assert df["reached_count"].tolist() == [10, 7, 6, 4]
    assert df["current_count"].tolist() == [4, 0, 1, 4]
    assert df["median_stage_days"].tolist()[:3] == [5, 7, 25] and pd.isna(df["median_stage_days"].iloc[3])


def test_pages018_meetings(refreshed):
    # last 7 days (11-15..11-21): 9001 (11-16), 9002 (11-21 20:00 UTC, no outcome), 9009 (no-show)
    # next 7 days (11-22..11-28): 9004 (11-22), 9005 (11-28), 9012 (on a demand and a supply deal)
    # never: 9003 (11-14), 9006 (11-29), 9007 cancelled, 9008 rescheduled, 9010 demand only, 9011 no deal
    assert value(refreshed, "meetings_last_7_days").value == 3
    assert value(refreshed, "meetings_next_7_days").value == 3
    by_rep = view(refreshed, "meetings_next_7_days", "meetings_by_rep")
    assert list(zip(by_rep["owner_name"], by_rep["last_7_days_count"], by_rep["next_7_days_count"])) == [
        ("Sam Ortiz", 1, 0), ("Tia Wong", 2, 3)]
    by_day = view(refreshed, "meetings_last_7_days", "meetings_by_day")
    assert len(by_day) == 14 and by_day["meeting_count"].sum() == 6
    per_day = dict(zip(dates(by_day["meeting_date"]), by_day["meeting_count"]))
    assert per_day["2026-11-21"] == 1 and per_day["2026-11-24"] == 1 and per_day["2026-11-15"] == 0


def test_pages019_contacts_stuck_supply_target(refreshed):
    # now in Supply Target: 305 (since 10-15: 37 days), 310 (no history: created 10-01, 51 days),
    # 306 (11-10: 11 days), 308 (latest entry 11-10: 11 days, not 81); 309 is soft-deleted
    snap = value(refreshed, "contacts_stuck_supply_target")
    assert snap.value == 2
    assert snap.extras["in_target_count"] == 4 and snap.extras["oldest_days"] == 51
    assert snap.status == "green"  # ≤ 2
    df = view(refreshed, "contacts_stuck_supply_target", "supply_target_venues")
    assert list(zip(df["deal_id"], df["stage_age_days"], df["is_stuck"])) == [
        (310, 51, True), (305, 37, True), (306, 11, False), (308, 11, False)]
    assert view(refreshed, "contacts_stuck_supply_target", "supply_target_venues",
                owners=[32])["deal_id"].tolist() == [306, 308]


NEW_METRICS = ["time_to_fulfill_days", "churned_customers", "pipeline_usd", "weighted_pipeline_usd", "opex_vs_budget",
               "bill_payment_timeliness", "current_assets", "working_capital", "new_unique_inventory",
               "onboarded_last_7_days", "onboarding_days_in_stage", "meetings_next_7_days", "meetings_last_7_days",
               "contacts_stuck_supply_target", "contract_spend_pct", "unspent_contract_usd"]


def test_pages020_views_offer_the_filters_their_frames_support(refreshed):
    """A view filters by rep when its frame has owner_id and owner_name, by month when it has
    month, by segment when it has segment; drill-down frames use tidy names and chart columns
    that exist."""
    catalog, store = refreshed
    for mid in NEW_METRICS:
        for v in catalog.metrics[mid].views:
            cols = set(store.get(v.query).frame.columns)
            has = {"owner": {"owner_id", "owner_name"} <= cols, "month": "month" in cols, "segment": "segment" in cols}
            assert {f for f, ok in has.items() if ok} == set(v.filters), (mid, v.id, sorted(cols))
            shown = view(refreshed, mid, v.id)
            for col in filter(None, [v.chart.x, v.chart.y, v.chart.color, v.chart.line, v.chart.order]):
                assert col in shown.columns, (mid, v.id, col)
            assert all(c == c.lower() and " " not in c for c in shown.columns), (mid, v.id)
