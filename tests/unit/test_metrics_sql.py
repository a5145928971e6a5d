"""Every Company Health metric and view on the hand-built company (answers worked by hand)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from components.figures import view_figure
from data_access.catalog import load_catalog
from data_access.config import Settings
from data_access.frame_store import MemoryFrameStore
from data_access.metrics import snapshot, view_frame
from data_access.refresh import refresh_all
from data_access.targets import RevenuePlan, Targets
from data_access.warehouse import DuckDBWarehouse
from tests.fixtures import known_company, known_pages

DATASETS = {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk"}
# Plan: 2,000 USD a month → Q4 target 6,000 USD.
TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2000))


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("wh") / "known.duckdb", DATASETS)
    wh.replace_tables("hubspot", known_company.hubspot())
    wh.replace_tables("quickbooks", known_company.quickbooks())
    known_pages.add_page_tables(wh)  # the new pages' tables, so every catalog query runs
    store = MemoryFrameStore()
    catalog = load_catalog()
    results = refresh_all(wh, store, catalog, Settings(), TARGETS, as_of=known_company.AS_OF)
    failed = [(r.query, r.error) for r in results if not r.ok]
    assert failed == []
    yield catalog, store
    wh.close()


def value(refreshed, metric_id):
    catalog, store = refreshed
    return snapshot(catalog.metrics[metric_id], store, TARGETS, known_company.AS_OF)


def catalog_view(refreshed, metric_id, view_id):
    return refreshed[0].metrics[metric_id].view(view_id)


def view(refreshed, metric_id, view_id, **filters):
    catalog, store = refreshed
    v = catalog.metrics[metric_id].view(view_id)
    return view_frame(v, store.get(v.query).frame, targets=TARGETS, **filters)


def test_sql001_revenue_ytd(refreshed):
    # 1,500 (inv 1, sub-total ignored) + 2,000 (on as-of) + 1,100 (EUR × 1.1) + 400 + 300 (discount ignored)
    snap = value(refreshed, "revenue_ytd")
    assert snap.value == pytest.approx(5300)
    # target: plan Jan–Oct (10 × 2,000) + November pro-rated 21/30 × 2,000 = 21,400 → far below: red
    assert snap.target == pytest.approx(21400)
    assert snap.status == "red"
    assert snap.as_of == known_company.AS_OF


def test_sql002_revenue_by_customer(refreshed):
    df = view(refreshed, "revenue_ytd", "revenue_by_customer")
    assert df["customer_name"].tolist() == ["Acme Drinks", "Bloom Beauty", "Crest Foods"]
    assert df["revenue_usd"].tolist() == pytest.approx([3500, 1500, 300])
    assert df["share"].tolist() == pytest.approx([3500 / 5300, 1500 / 5300, 300 / 5300])
    assert df["segment"].tolist() == ["Beverage", "Beauty", "Unclassified"]
    # month filter re-ranks: October only
    oct_ = view(refreshed, "revenue_ytd", "revenue_by_customer", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 1))
    assert dict(zip(oct_["customer_name"], oct_["revenue_usd"])) == {"Bloom Beauty": 400, "Crest Foods": 300}


def test_sql003_revenue_by_month_vs_target(refreshed):
    df = view(refreshed, "revenue_ytd", "revenue_by_month")
    assert len(df) == 12
    assert pd.to_datetime(df["month"]).dt.strftime("%Y-%m").tolist()[0] == "2025-12"
    by_month = dict(zip(pd.to_datetime(df["month"]).dt.strftime("%Y-%m"), df["revenue_usd"]))
    assert by_month == pytest.approx({"2025-12": 700, "2026-01": 0, "2026-02": 1500, "2026-03": 1100,
                                      "2026-04": 0, "2026-05": 0, "2026-06": 0, "2026-07": 0, "2026-08": 0,
                                      "2026-09": 0, "2026-10": 700, "2026-11": 2000})
    assert set(df["target_usd"]) == {2000}


def test_sql003b_one_revenue_target_on_the_card_the_by_month_view_and_settings(refreshed, pulse_app):
    """Plan 2,000 USD a month, as of 2026-11-21: Jan–Oct 20,000 + November 21/30 × 2,000 = 21,400."""
    from pages.settings import in_force_text

    card = value(refreshed, "revenue_ytd").target
    df = view(refreshed, "revenue_ytd", "revenue_by_month", as_of=known_company.AS_OF)
    by_month = dict(zip(pd.to_datetime(df["month"]).dt.strftime("%Y-%m"), df["target_usd"]))
    assert by_month["2026-11"] == pytest.approx(1400)  # the as-of month pro-rated, not its whole plan
    assert by_month["2025-12"] == pytest.approx(2000) and by_month["2026-10"] == pytest.approx(2000)
    this_year = sum(v for k, v in by_month.items() if k.startswith("2026"))
    text = in_force_text(load_catalog().metrics["revenue_ytd"], TARGETS, dt.date(2026, 11, 1), known_company.AS_OF)
    assert card == pytest.approx(21400) and this_year == pytest.approx(21400)
    assert "plan to date $21.4K (as of Nov 21)" in text


def test_sql004_revenue_by_segment(refreshed):
    df = view(refreshed, "revenue_ytd", "revenue_by_segment")
    assert dict(zip(df["segment"], df["revenue_usd"])) == pytest.approx(
        {"Beverage": 3500, "Beauty": 1500, "Unclassified": 300})


def test_sql005_pipeline_coverage(refreshed):
    # open Q4 deals: 10,000 + 5,000 (slipped, still open) + 4,000 (unassigned) = 19,000
    # remaining = Q4 target 6,000 − QTD revenue (2,000 + 400 + 300) = 3,300
    snap = value(refreshed, "pipeline_coverage")
    assert snap.value == pytest.approx(19000 / 3300)
    assert snap.extras["open_pipeline_usd"] == pytest.approx(19000)
    assert snap.extras["revenue_qtd_usd"] == pytest.approx(2700)
    assert snap.status == "green"


def test_sql006_pipeline_views(refreshed):
    by_rep = view(refreshed, "pipeline_coverage", "pipeline_by_rep_stage")
    got = {(r.owner_name, r.stage_label): (r.deal_count, r.amount_usd) for r in by_rep.itertuples()}
    assert got == {("Ana Lopez", "Proposal"): (1, 10000), ("Ben Kim", "Qualified"): (1, 5000),
                   ("Unassigned", "Qualified"): (1, 4000)}
    # the Q4 deals largest first, then the open deals without a close date (13, 14; deleted 15 is not)
    deals = view(refreshed, "pipeline_coverage", "open_deals")
    assert deals["deal_name"].tolist() == ["Deal 1", "Deal 2", "Deal 10", "Deal 14", "Deal 13"]
    assert deals["age_days"].tolist() == [81, 112, 20, 30, 20]
    assert deals["close_timing"].tolist() == ["This quarter", "Overdue", "This quarter", "No close date",
                                              "No close date"]
    assert deals["close_date"].isna().tolist() == [False, False, False, True, True]
    assert deals["company_name"].tolist()[:2] == ["Acme Drinks Inc", "Bloom Beauty Co"]
    only_ana = view(refreshed, "pipeline_coverage", "open_deals", owners=[11])
    assert only_ana["deal_name"].tolist() == ["Deal 1", "Deal 14"]
    # a month filter picks close months: the deals without a close date are in none
    december = view(refreshed, "pipeline_coverage", "open_deals", start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 1))
    assert december["deal_name"].tolist() == ["Deal 1", "Deal 10"]
    weeks = view(refreshed, "pipeline_coverage", "pipeline_by_close_date")
    # Mondays of 2026-10-20 (Tue), 2026-12-01 (Tue), 2026-12-15 (Tue), then deals 13 + 14
    assert weeks["close_week"].tolist() == ["2026-10-19", "2026-11-30", "2026-12-14", "No close date"]
    assert weeks["amount_usd"].tolist() == pytest.approx([5000, 4000, 10000, 6000])
    assert weeks["deal_count"].tolist() == [1, 1, 1, 2]
    chart = catalog_view(refreshed, "pipeline_coverage", "pipeline_by_close_date").chart
    fig = view_figure(chart, weeks, "By close week")
    assert fig["layout"]["xaxis"]["type"] == "category"  # a date axis would drop the "No close date" bar
    assert fig["data"][0]["x"][-1] == "No close date" and fig["data"][0]["y"][-1] == pytest.approx(6000)


def test_sql006b_open_deals_without_close_date(refreshed):
    # open, not deleted, no close date: deal 13 (Ben, Qualified 20 %, 2,500), deal 14 (Ana, Proposal 50 %, 3,500)
    snap = value(refreshed, "open_deals_without_close_date")
    assert snap.value == 2
    assert snap.extras["amount_usd"] == pytest.approx(6000)
    assert snap.extras["weighted_usd"] == pytest.approx(3500 * 0.5 + 2500 * 0.2)
    assert (snap.target, snap.status) == (5, "green")  # lower is better: 2 ≤ 5
    # none of them is in the quarter's pipeline: coverage stays 19,000 of open Q4 deals (test_sql005)
    deals = view(refreshed, "open_deals_without_close_date", "undated_deals")
    assert deals["deal_name"].tolist() == ["Deal 14", "Deal 13"]
    assert deals["age_days"].tolist() == [30, 20]
    by_rep = view(refreshed, "open_deals_without_close_date", "undated_deals_by_rep")
    assert by_rep[["owner_name", "deal_count", "amount_usd", "oldest_age_days"]].values.tolist() == [
        ["Ana Lopez", 1, 3500, 30], ["Ben Kim", 1, 2500, 20]]
    only_ben = view(refreshed, "open_deals_without_close_date", "undated_deals", owners=[12])
    assert only_ben["deal_name"].tolist() == ["Deal 13"]


def test_sql007_win_rate(refreshed):
    # closed in 2026-08-24..11-21: won deals 4 and 12 (12 closes on the window's first day), lost deal 5
    snap = value(refreshed, "win_rate")
    assert snap.value == pytest.approx(2 / 3)
    assert (snap.extras["won_count"], snap.extras["lost_count"]) == (2, 1)
    by_rep = view(refreshed, "win_rate", "win_rate_by_rep")
    assert dict(zip(by_rep["owner_name"], by_rep["win_rate"])) == {"Ana Lopez": 1.0, "cara@x.com": 1.0,
                                                                   "Ben Kim": 0.0}


def test_sql008_avg_deal_size_and_sales_cycle(refreshed):
    # won in 2025-11-22..2026-11-21: deals 4 (20,000; 91 days), 6 (30,000; 59 days), 12 (10,000; 0 days)
    assert value(refreshed, "avg_deal_size").value == pytest.approx(20000)
    assert value(refreshed, "sales_cycle_days").value == pytest.approx(59)
    won = view(refreshed, "avg_deal_size", "won_deals")
    assert sorted(won["cycle_days"].tolist()) == [0, 59, 91]


def test_sql009_nrr_grr(refreshed):
    # prior: Acme 3,000, Bloom 2,000, Dune 1,000 (Crest's 2024-11-21 invoice is outside) = 6,000
    # current: Acme 3,500, Bloom 1,500, Dune 0 = 5,000 → NRR 5,000 / 6,000
    # GRR: min(3,500, 3,000) + min(1,500, 2,000) + 0 = 4,500 / 6,000
    assert value(refreshed, "nrr").value == pytest.approx(5000 / 6000)
    assert value(refreshed, "grr").value == pytest.approx(0.75)
    by_c = view(refreshed, "nrr", "nrr_by_customer").set_index("customer_name")
    assert by_c.loc["Acme Drinks", "movement"] == "expanded"
    assert by_c.loc["Acme Drinks", "expansion_usd"] == pytest.approx(500)
    assert by_c.loc["Bloom Beauty", "contraction_usd"] == pytest.approx(500)
    assert by_c.loc["Dune Co", "churned_usd"] == pytest.approx(1000)
    assert "Crest Foods" not in by_c.index  # no prior revenue → new, not in the cohort


def test_sql010_churned_customers(refreshed):
    df = view(refreshed, "nrr", "churned_customers")
    assert df["customer_name"].tolist() == ["Dune Co"]
    assert str(df["last_invoice_date"].iloc[0])[:10] == "2025-03-01"
    assert df["prior_usd"].tolist() == pytest.approx([1000])


def test_sql011_customer_concentration(refreshed):
    # current window: Acme 3,500 of 6,000 (Acme 3,500 + Bloom 1,500 + Crest 1,000)
    snap = value(refreshed, "customer_concentration")
    assert snap.value == pytest.approx(3500 / 6000)
    assert snap.extras["top_customer_name"] == "Acme Drinks"
    assert snap.status == "red"  # lower is better; 58 % is far above 30 %
    share = view(refreshed, "customer_concentration", "revenue_share_by_customer")
    assert share["share"].tolist() == pytest.approx([3500 / 6000, 1500 / 6000, 1000 / 6000])
