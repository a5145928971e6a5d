"""The demo company generator (data_access/demo.py): shape, types, integrity, business."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from data_access import schema
from data_access.demo import DEMO_SOURCES, build_demo, main, reference_figures, write_demo
from data_access.warehouse import DuckDBWarehouse

AS_OF = dt.date(2026, 11, 21)
AS_OF_TS = pd.Timestamp(AS_OF)
SMALL = 0.1
DUCKDB_TYPES = {"INT64": "BIGINT", "FLOAT64": "DOUBLE", "STRING": "VARCHAR", "BOOL": "BOOLEAN",
                "DATE": "DATE", "TIMESTAMP": "TIMESTAMP"}
DATASETS = {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk", "marketplace": "marketplace",
            "finance": "finance"}


@pytest.fixture(scope="module")
def demo() -> dict[str, dict[str, pd.DataFrame]]:
    return build_demo(SMALL, AS_OF, seed=7)


@pytest.fixture(scope="module")
def hs(demo):
    return demo["hubspot"]


@pytest.fixture(scope="module")
def qb(demo):
    return demo["quickbooks"]


@pytest.fixture(scope="module")
def deals(hs) -> pd.DataFrame:
    """Deals with their stage flags."""
    stages = hs["deal_pipeline_stage"][["stage_id", "is_closed", "closed_won"]]
    return hs["deal"].merge(stages, left_on="deal_pipeline_stage_id", right_on="stage_id", how="left")


def _dates(series: pd.Series) -> pd.Series:
    return series.astype("datetime64[s]")


def test_demo001_same_seed_gives_identical_frames(demo):
    again = build_demo(SMALL, AS_OF, seed=7)
    for source, frames in demo.items():
        for table, frame in frames.items():
            pd.testing.assert_frame_equal(frame, again[source][table], obj=f"{source}.{table}")


def test_demo002_different_seed_gives_different_frames(demo):
    other = build_demo(SMALL, AS_OF, seed=8)
    assert not demo["hubspot"]["deal"].equals(other["hubspot"]["deal"])
    assert not demo["quickbooks"]["invoice"].equals(other["quickbooks"]["invoice"])
    assert set(demo["hubspot"]["company"]["property_name"]) != set(other["hubspot"]["company"]["property_name"])


def test_demo003_rows_grow_linearly_with_scale_and_reps_sublinearly(demo):
    big = build_demo(4 * SMALL, AS_OF, seed=7)
    for source, table in [("hubspot", "deal"), ("hubspot", "company"), ("hubspot", "deal_stage"),
                          ("quickbooks", "invoice"), ("quickbooks", "invoice_line")]:
        ratio = len(big[source][table]) / len(demo[source][table])
        assert 3.2 < ratio < 4.8, (table, ratio)
    assert len(demo["hubspot"]["owner"]) == 4  # max(4, round(12·√0.1))
    assert len(big["hubspot"]["owner"]) == 8  # round(12·√0.4): ×2 for ×4 deals
    assert 4_500 < len(build_demo(1, AS_OF, seed=7)["hubspot"]["deal"]) < 5_500  # scale 1 ≈ 5,000 deals


def test_demo004_every_schema_table_has_exactly_its_columns(demo):
    assert list(demo) == list(DEMO_SOURCES) == ["hubspot", "quickbooks", "marketplace", "finance", "zendesk", "surveys"]
    for source in DEMO_SOURCES:
        assert list(demo[source]) == list(schema.TABLES[source])
        for table, frame in demo[source].items():
            assert list(frame.columns) == list(schema.TABLES[source][table]), table
            assert len(frame) > 0, table


def test_demo005_write_demo_stores_declared_duckdb_types(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "demo.duckdb", DATASETS)
    try:
        rows = write_demo(warehouse, 0.05, AS_OF, seed=7)
        con = warehouse.connect()
        for source in DEMO_SOURCES:
            got = con.execute(
                "select table_name, column_name, data_type from information_schema.columns "
                "where table_schema = $s order by table_name, ordinal_position", {"s": source}).fetchall()
            want = [(t, c, DUCKDB_TYPES[bq]) for t in sorted(schema.TABLES[source])
                    for c, bq in schema.TABLES[source][t].items()]
            assert got == want
            for table in schema.TABLES[source]:
                count = con.execute(f'select count(*) from "{source}"."{table}"').fetchone()[0]
                assert rows[f"{source}.{table}"] == count > 0
        # Nullable ints stay BIGINT and keep their NULLs; dates are real dates.
        assert con.execute("select count(*) from hubspot.deal where owner_id is null").fetchone()[0] > 0
        assert con.execute("select max(transaction_date) from quickbooks.invoice").fetchone()[0] <= AS_OF
    finally:
        warehouse.close()


def test_demo006_deals_reference_pipelines_stages_owners_and_companies(hs, deals):
    stages = hs["deal_pipeline_stage"]
    live_stages = stages.loc[~stages["_fivetran_deleted"]]
    assert set(deals["deal_pipeline_id"]) == {"default", "supply_onboarding"}
    assert set(deals["deal_pipeline_stage_id"]) <= set(live_stages["stage_id"])
    stage_pipeline = dict(zip(stages["stage_id"], stages["pipeline_id"]))
    assert (deals["deal_pipeline_stage_id"].map(stage_pipeline) == deals["deal_pipeline_id"]).all()
    owners = deals["owner_id"].dropna()
    assert owners.isin(hs["owner"]["owner_id"]).all()
    demand = deals["deal_pipeline_id"] == "default"
    assert 0 < deals.loc[demand, "owner_id"].isna().mean() < 0.05  # a few unassigned
    dc = hs["deal_company"]
    assert dc["deal_id"].is_unique and set(dc["deal_id"]) == set(deals["deal_id"])
    assert dc["company_id"].isin(hs["company"]["id"]).all()
    assert (dc["type_id"] == 5).all() and (dc["category"] == "HUBSPOT_DEFINED").all()
    assert hs["owner_team"]["owner_id"].isin(hs["owner"]["owner_id"]).all()
    assert hs["owner_team"]["team_id"].isin(hs["team"]["id"]).all()


def test_demo007_quickbooks_rows_reference_each_other_and_hubspot(hs, qb, deals):
    inv, lines, cust = qb["invoice"], qb["invoice_line"], qb["customer"]
    assert inv["customer_id"].isin(cust["id"]).all()
    assert lines["invoice_id"].isin(inv["id"]).all() and inv["id"].isin(lines["invoice_id"]).all()
    assert cust["customer_type_id"].isin(qb["customer_type"]["id"]).all()
    assert set(qb["customer_type"]["name"]) == {
        "Consumer Packaged Goods", "Beverage", "Beauty & Personal Care", "Technology", "Financial Services", "Retail"}
    # One customer per company that ever won a demand deal, named like it, typed by its industry.
    won = deals.loc[deals["closed_won"] & ~deals["is_deleted"] & (deals["deal_pipeline_id"] == "default")]
    won_companies = hs["deal_company"].loc[hs["deal_company"]["deal_id"].isin(won["deal_id"]), "company_id"]
    companies = hs["company"].set_index("id").loc[won_companies.unique()]
    assert sorted(cust["display_name"]) == sorted(companies["property_name"])
    assert (cust["company_name"] == cust["display_name"]).all()
    type_name = cust["customer_type_id"].map(dict(zip(qb["customer_type"]["id"], qb["customer_type"]["name"])))
    industry = cust["display_name"].map(dict(zip(companies["property_name"], companies["property_industry"])))
    assert (type_name == industry).all()


def test_demo008_nothing_dated_after_the_as_of_date(hs, qb, deals):
    assert _dates(qb["invoice"]["transaction_date"]).max() <= AS_OF_TS
    closed = deals.loc[deals["is_closed"]]
    assert (closed["property_closedate"].dt.normalize() <= AS_OF_TS).all()
    dated = deals.loc[deals["property_closedate"].notna()]
    assert (dated["property_createdate"] < dated["property_closedate"]).all()
    # a few open sales deals have no close date, all planned after this quarter (its pipeline is unchanged)
    undated = deals.loc[deals["property_closedate"].isna()]
    assert len(undated) >= 1 and not undated["is_closed"].any()
    assert set(undated["deal_pipeline_id"]) == {"default"}
    assert deals["property_createdate"].max() < AS_OF_TS + pd.Timedelta(days=1)
    open_demand = deals.loc[~deals["is_closed"] & (deals["deal_pipeline_id"] == "default"), "property_closedate"]
    assert open_demand.min() >= AS_OF_TS - pd.Timedelta(days=22)
    assert open_demand.max() <= AS_OF_TS + pd.Timedelta(days=181)
    assert (open_demand < AS_OF_TS).any()  # some slipped
    assert deals["property_createdate"].min() < AS_OF_TS - pd.Timedelta(days=1_000)  # ~3 years of history
    assert hs["deal_stage"]["_fivetran_start"].max() < AS_OF_TS + pd.Timedelta(days=1)


def test_demo009_deal_stage_history_ends_in_the_deals_current_stage(hs, deals):
    ds = hs["deal_stage"].sort_values(["deal_id", "_fivetran_start"])
    assert (ds["date_entered"] == ds["_fivetran_start"]).all()
    current = ds.loc[ds["_fivetran_active"]]
    assert current["deal_id"].is_unique and set(current["deal_id"]) == set(deals["deal_id"])
    merged = current.merge(deals, on="deal_id")
    assert (merged["value"] == merged["deal_pipeline_stage_id"]).all()
    assert (merged["_fivetran_end"] == pd.Timestamp("2050-01-01")).all()
    closed = merged.loc[merged["is_closed"]]
    assert (closed["_fivetran_start"] == closed["property_closedate"]).all()
    # Each row ends when the next starts; stages are entered in pipeline order.
    nxt = ds.groupby("deal_id")["_fivetran_start"].shift(-1)
    assert (ds.loc[nxt.notna(), "_fivetran_end"] == nxt.dropna()).all()
    assert (ds["_fivetran_start"] < ds["_fivetran_end"]).all()
    order = {s: i for i, s in enumerate(hs["deal_pipeline_stage"]["stage_id"])}
    assert (ds["value"].map(order).groupby(ds["deal_id"]).diff().dropna() > 0).all()
    first = ds.groupby("deal_id").first().join(deals.set_index("deal_id")["property_createdate"])
    assert (first["_fivetran_start"] == first["property_createdate"]).all()
    assert set(first["value"]) == {"demand_qualified", "supply_target"}


def test_demo010_invoice_lines_are_sales_lines_plus_a_subtotal(qb):
    inv, lines = qb["invoice"].set_index("id"), qb["invoice_line"]
    sales = lines.loc[lines["detail_type"] == "SalesItemLineDetail"]
    sub = lines.loc[lines["detail_type"] == "SubTotalLineDetail"].set_index("invoice_id")
    assert set(lines["detail_type"]) == {"SalesItemLineDetail", "SubTotalLineDetail"}
    assert sub.index.is_unique and len(sub) == len(inv)
    np.testing.assert_allclose(sales.groupby("invoice_id")["amount"].sum().reindex(inv.index), inv["total_amount"])
    np.testing.assert_allclose(sub["amount"].reindex(inv.index), inv["total_amount"])
    np.testing.assert_allclose(sales["sales_item_quantity"] * sales["sales_item_unit_price"], sales["amount"])
    assert sales["sales_item_item_id"].notna().all() and sub["sales_item_item_id"].isna().all()
    assert not lines.duplicated(["invoice_id", "index"]).any()
    assert lines.groupby("invoice_id")["index"].min().eq(0).all()
    assert inv["home_total_amount"].isna().all()
    assert ((_dates(inv["due_date"]) - _dates(inv["transaction_date"])).dt.days == 30).all()
    recent = _dates(inv["transaction_date"]) > AS_OF_TS - pd.Timedelta(days=30)
    assert (inv.loc[recent, "balance"] == inv.loc[recent, "total_amount"]).all()
    old = _dates(inv["transaction_date"]) < AS_OF_TS - pd.Timedelta(days=60)
    assert (inv.loc[old, "balance"] == 0).all()


def test_demo011_some_customers_are_billed_in_eur(qb):
    inv, cust = qb["invoice"], qb["customer"]
    eur = inv.loc[inv["currency_id"] == "EUR"]
    usd = inv.loc[inv["currency_id"] == "USD"]
    assert len(eur) > 0 and len(usd) + len(eur) == len(inv)
    assert eur["exchange_rate"].between(1.05, 1.12).all()
    assert usd["exchange_rate"].isna().any() and (usd["exchange_rate"] == 1.0).any()
    assert set(usd["exchange_rate"].dropna()) == {1.0}
    eur_customers = set(cust.loc[cust["currency_id"] == "EUR", "id"])
    assert eur_customers and set(eur["customer_id"]) <= eur_customers
    assert len(eur_customers) / len(cust) < 0.1


def test_demo012_soft_deleted_rows_are_present_and_harmless(hs, qb, deals):
    assert hs["deal"]["is_deleted"].sum() >= 1
    assert hs["company"]["is_deleted"].sum() >= 1
    assert hs["contact"]["_fivetran_deleted"].sum() >= 1
    stages = hs["deal_pipeline_stage"]
    retired = stages.loc[stages["_fivetran_deleted"], "stage_id"]
    assert len(retired) == 1 and not deals["deal_pipeline_stage_id"].isin(retired).any()
    assert not hs["deal_stage"]["value"].isin(retired).any()
    # Deleted companies have no deals; deleted invoices are voided duplicates of live ones.
    deleted_companies = hs["company"].loc[hs["company"]["is_deleted"], "id"]
    assert not hs["deal_company"]["company_id"].isin(deleted_companies).any()
    inv = qb["invoice"]
    voided = inv.loc[inv["_fivetran_deleted"]]
    assert 0.005 < len(voided) / len(inv) < 0.02
    live = inv.loc[~inv["_fivetran_deleted"]]
    key = ["customer_id", "transaction_date", "total_amount"]
    assert voided[key].merge(live[key], on=key).drop_duplicates().shape[0] == voided[key].drop_duplicates().shape[0]
    assert voided["doc_number"].str.endswith("-V").all() and live["doc_number"].is_unique


def test_demo013_invoices_bill_won_deals_within_six_months(hs, qb, deals):
    """Per USD customer, live invoices add up to its won deals, except the unbilled
    remainder of deals closed in the last 6 months."""
    won = deals.loc[deals["closed_won"] & ~deals["is_deleted"] & (deals["deal_pipeline_id"] == "default")]
    won = won.merge(hs["deal_company"], on="deal_id").merge(
        hs["company"][["id", "property_name"]], left_on="company_id", right_on="id")
    cust = qb["customer"].set_index("display_name")
    won = won.assign(customer_id=won["property_name"].map(cust["id"]))
    usd_customers = set(cust.loc[cust["currency_id"] == "USD", "id"])
    inv = qb["invoice"].loc[~qb["invoice"]["_fivetran_deleted"] & qb["invoice"]["customer_id"].isin(usd_customers)]
    billed = inv.groupby("customer_id")["total_amount"].sum()
    won = won.loc[won["customer_id"].isin(usd_customers)]
    booked = won.groupby("customer_id")["property_amount"].sum()
    settled = won.loc[won["property_closedate"] < AS_OF_TS - pd.DateOffset(months=6)]
    settled = settled.groupby("customer_id")["property_amount"].sum().reindex(booked.index, fill_value=0)
    billed = billed.reindex(booked.index, fill_value=0)
    assert (billed <= booked + 0.01).all() and (billed >= settled - 0.01).all()
    assert billed.sum() / booked.sum() > 0.8


def test_demo014_business_shape_at_scale_1():
    figures = reference_figures(build_demo(1, AS_OF, seed=7), AS_OF)
    assert 1.05 <= figures["nrr"] <= 1.20
    assert 0.85 <= figures["grr"] <= 0.92
    assert 0.25 <= figures["win_rate_90d"] <= 0.35
    assert figures["top_customer_share"] < 0.10
    assert 40 <= figures["median_cycle_days_won_365"] <= 70
    assert figures["revenue_ytd_usd"] > 0 and figures["open_pipeline_quarter_count"] > 50


def test_demo015_deal_amounts_are_lognormal_around_40k(deals):
    demand = deals.loc[deals["deal_pipeline_id"] == "default", "property_amount"]
    assert demand.notna().all() and (demand == demand.round()).all()
    assert 30_000 <= demand.median() <= 50_000
    assert demand.min() >= 5_000 and demand.max() <= 500_000
    supply = deals.loc[deals["deal_pipeline_id"] == "supply_onboarding", "property_amount"]
    assert (supply.isna() | (supply == 0)).all() and supply.isna().any() and (supply == 0).any()
    assert 0.80 <= (deals["deal_pipeline_id"] == "default").mean() <= 0.90


def test_demo016_pipelines_and_stages_are_the_documented_ones(hs):
    pipelines = hs["deal_pipeline"].set_index("pipeline_id")["label"].to_dict()
    assert pipelines == {"default": "Sales Pipeline", "supply_onboarding": "Supply Onboarding"}
    stages = hs["deal_pipeline_stage"].loc[~hs["deal_pipeline_stage"]["_fivetran_deleted"]]
    got = {(r.pipeline_id, r.label, r.probability, r.is_closed, r.closed_won) for r in stages.itertuples()}
    assert got == {
        ("default", "Qualified", 0.1, False, False), ("default", "Discovery", 0.2, False, False),
        ("default", "Proposal", 0.4, False, False), ("default", "Negotiation", 0.6, False, False),
        ("default", "Contract Sent", 0.8, False, False), ("default", "Closed Won", 1.0, True, True),
        ("default", "Closed Lost", 0.0, True, False),
        ("supply_onboarding", "Supply Target", 0.1, False, False), ("supply_onboarding", "Contacted", 0.3, False, False),
        ("supply_onboarding", "Onboarding", 0.6, False, False), ("supply_onboarding", "Onboarded", 1.0, True, True),
        ("supply_onboarding", "Not a Fit", 0.0, True, False),
    }


def test_demo017_owners_companies_and_contacts_look_real(hs):
    owners = hs["owner"]
    assert owners["email"].str.fullmatch(r"[a-z]+\.[a-z]+@pulse-demo\.com").all() and owners["email"].is_unique
    assert owners["portal_id"].nunique() == 1
    teams = hs["owner_team"].merge(hs["team"], left_on="team_id", right_on="id")["name"]
    assert set(teams) == {"Demand East", "Demand West", "Supply"}
    companies = hs["company"]
    assert companies["property_name"].is_unique
    assert companies["property_name"].str.fullmatch(r"[A-Z][A-Za-z&.\- ()]+").all()
    assert set(companies["property_industry"]) == {
        "Consumer Packaged Goods", "Beverage", "Beauty & Personal Care", "Technology", "Financial Services", "Retail",
        "University", "Fitness Studio", "Office", "Event"}
    contacts = hs["contact"]
    assert contacts["property_company"].isin(companies["property_name"]).all()
    assert 1.5 <= len(contacts) / len(companies) <= 3.5
    assert contacts["property_email"].str.contains("@").all()


def test_demo018_cli_writes_the_warehouse_and_prints_a_summary(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    assert main(["--scale", "0.05", "--as-of", "2026-11-21", "--seed", "3", "--duckdb-path", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hubspot.deal " in out and "quickbooks.invoice_line" in out and "done in" in out
    con = duckdb.connect(str(path), read_only=True)
    try:
        n = con.execute("select count(*) from hubspot.deal").fetchone()[0]
        assert n == len(build_demo(0.05, AS_OF, seed=3)["hubspot"]["deal"])
    finally:
        con.close()


def test_demo019_rejects_a_non_positive_scale():
    with pytest.raises(ValueError, match="scale"):
        build_demo(0, AS_OF, seed=7)



# ------------------------------------------------------------------ the team pages' tables


@pytest.fixture(scope="module")
def mk(demo):
    return demo["marketplace"]


UNDATED_AT_SCALE_1 = 6  # open sales deals without a close date at scale 1, seed 7 (yellow against 5)


def test_demo020_company_health_figures_are_unchanged_at_scale_1():
    """The new tables come from their own generators: the figures the README and
    docs/data_model.md quote for scale 1, seed 7, as of 2026-11-21 stay as they were."""
    f = reference_figures(build_demo(1, AS_OF, seed=7), AS_OF)
    assert round(f["revenue_ytd_usd"]) == 23_681_823
    assert (round(f["nrr"], 3), round(f["grr"], 3)) == (1.162, 0.886)
    assert (f["won_90d"], f["lost_90d"], round(f["top_customer_share"], 3)) == (106, 247, 0.033)
    assert (round(f["open_pipeline_quarter_usd"]), f["open_pipeline_quarter_count"]) == (10_431_172, 190)
    assert f["median_cycle_days_won_365"] == 43
    assert f["open_undated_count"] == UNDATED_AT_SCALE_1  # open deals without a close date (Sales card)


def test_demo021_meetings_are_on_deals_past_and_booked(hs, deals):
    meetings, links = hs["engagement_meeting"], hs["engagement_deal"]
    assert meetings["engagement_id"].is_unique and set(links["engagement_id"]) == set(meetings["engagement_id"])
    linked = links.merge(deals, on="deal_id")
    assert len(linked) == len(links) and not linked["is_deleted"].any()  # every link is to a live deal
    start = meetings["start_time"]
    future = start >= AS_OF_TS + pd.Timedelta(days=1)
    assert (meetings.loc[future, "meeting_outcome"] == "SCHEDULED").all()  # booked, not held
    assert start[future].max() < AS_OF_TS + pd.Timedelta(days=15)
    assert set(meetings.loc[~future, "meeting_outcome"]) == {"COMPLETED", "NO_SHOW", "RESCHEDULED", "CANCELED"}
    assert (meetings["end_time"] > start).all() and (meetings["_fivetran_synced"] <= AS_OF_TS + pd.Timedelta(days=1)).all()
    # past meetings fall between the deal's creation and its close
    past = linked.merge(meetings, on="engagement_id")
    past = past.loc[past["start_time"] < AS_OF_TS]
    assert (past["start_time"] >= past["property_createdate"].dt.normalize()).all()
    dated = past.loc[past["property_closedate"].notna()]  # an open deal without a close date: none to keep to
    assert (dated["start_time"] < dated["property_closedate"].dt.normalize() + pd.Timedelta(days=1)).all()
    # both pipelines have meetings, and open supply deals have some booked
    assert set(linked["deal_pipeline_id"]) == {"default", "supply_onboarding"}
    booked = linked.merge(meetings.loc[future, ["engagement_id"]], on="engagement_id")
    assert (booked["deal_pipeline_id"] == "supply_onboarding").any() and not booked["is_closed"].any()


def test_demo022_inventory_is_the_onboarded_venues(hs, deals, mk):
    inv = mk["inventory"]
    live = inv.loc[~inv["_fivetran_deleted"].astype(bool)]
    onboarded = deals.loc[(deals["deal_pipeline_id"] == "supply_onboarding") & deals["closed_won"].astype(bool)
                          & ~deals["is_deleted"].astype(bool)]
    venue_of = hs["deal_company"].set_index("deal_id")["company_id"]
    first_live = live.groupby("venue_company_id")["onboarded_date"].min().astype("datetime64[s]")
    won = onboarded.assign(company_id=onboarded["deal_id"].map(venue_of)).set_index("company_id")["property_closedate"]
    assert set(first_live.index) <= set(won.index)
    gap = (first_live - won.dt.normalize().reindex(first_live.index)).dt.days
    assert gap.between(0, 7).all()  # a venue goes live 0–7 days after its deal is won
    assert _dates(live["onboarded_date"]).max() <= AS_OF_TS
    assert set(live["event_type"]) == {"university", "fitness", "office", "event"}
    off = live["offboarded_date"].notna()
    assert ((live["status"] == "offboarded") == off).all() and off.any()
    assert (_dates(live.loc[off, "offboarded_date"]) > _dates(live.loc[off, "onboarded_date"])).all()
    assert (live["capacity"] >= 10).all() and inv["_fivetran_deleted"].any()


def test_demo023_books_tie_out(qb, demo):
    bill, line = qb["bill"], qb["bill_line"]
    assert (line.groupby("bill_id")["amount"].sum().round(2) == bill.set_index("id")["total_amount"]).all()
    live = bill.loc[~bill["_fivetran_deleted"].astype(bool)]
    pay, pay_line = qb["bill_payment"], qb["bill_payment_line"]
    assert set(pay_line["bill_id"]) <= set(live["id"]) and set(pay_line["bill_payment_id"]) == set(pay["id"])
    paid = pay_line.merge(pay.loc[~pay["_fivetran_deleted"].astype(bool)], left_on="bill_payment_id", right_on="id")
    assert _dates(paid["transaction_date"]).max() <= AS_OF_TS
    unpaid = ~live["id"].isin(paid["bill_id"])
    assert ((live["balance"] > 0) == unpaid).all()  # balance = total for unpaid bills, 0 for paid ones
    paid_bills = paid.merge(live, left_on="bill_id", right_on="id", suffixes=("", "_bill"))
    late = _dates(paid_bills["transaction_date"]) > _dates(paid_bills["due_date"])
    assert 0.02 < late.mean() < 0.12  # ~6% paid late
    accounts = qb["account"].set_index("id")
    assert accounts.loc[8, "balance"] == pytest.approx(live["balance"].sum(), abs=0.01)  # A/P = unpaid bills
    inv = qb["invoice"].loc[~qb["invoice"]["_fivetran_deleted"].astype(bool)]
    assert accounts.loc[3, "balance"] == pytest.approx(inv.loc[inv["currency_id"] == "USD", "balance"].sum(), abs=0.01)
    expense_accounts = set(accounts.index[accounts["classification"] == "Expense"])
    assert set(line["account_expense_account_id"]) <= expense_accounts
    assert set(qb["purchase_line"]["account_expense_account_id"]) <= expense_accounts
    assert accounts["_fivetran_deleted"].sum() == 1 and _dates(qb["purchase"]["transaction_date"]).max() <= AS_OF_TS
    budget = demo["finance"]["budget"]
    opex = accounts.loc[(accounts["account_type"] == "Expense") & accounts["parent_account_id"].isna(), "name"]
    assert set(budget["category"]) == set(opex)  # the budget is kept by top-level expense account
    assert _dates(budget["month"]).max() == pd.Timestamp(AS_OF.year, 12, 1)
    assert not budget.duplicated(["month", "category"]).any()


def test_demo024_new_tables_grow_linearly(demo):
    big = build_demo(4 * SMALL, AS_OF, seed=7)
    for source, table in [("hubspot", "engagement_meeting"), ("quickbooks", "bill"), ("quickbooks", "purchase"),
                          ("marketplace", "inventory"), ("hubspot", "engagement_deal")]:
        ratio = len(big[source][table]) / len(demo[source][table])
        assert 3.0 < ratio < 5.0, (table, ratio)
    assert len(big["quickbooks"]["account"]) == len(demo["quickbooks"]["account"]) == 28  # one chart of accounts
    # vendors: the fixed operating-expense vendors plus one per onboarded venue
    assert len(demo["quickbooks"]["vendor"]) < len(big["quickbooks"]["vendor"]) < 4 * len(demo["quickbooks"]["vendor"])


def test_demo025_rep_activity_is_consistent_with_reps_contacts_and_deals(hs):
    """Calls, emails and meetings (issue 13): every one has a parent engagement of its type (ids
    unique across types) and one contact, a live contact id of the demo; a call's or email's rep is
    its engagement's; each live deal has one contact of its own company; a reply comes after the
    email it answers, on its thread; nothing is dated after the last sync."""
    eng, calls, emails = hs["engagement"], hs["engagement_call"], hs["engagement_email"]
    meetings, ec, dc = hs["engagement_meeting"], hs["engagement_contact"], hs["deal_contact"]
    assert eng["id"].is_unique and len(eng) == len(calls) + len(emails) + len(meetings)
    by_id = eng.set_index("id")
    assert (by_id.loc[calls["engagement_id"], "type"] == "CALL").all()
    assert (by_id.loc[meetings["engagement_id"], "type"] == "MEETING").all()
    assert set(by_id.loc[emails["engagement_id"], "type"]) == {"EMAIL", "INCOMING_EMAIL"}
    owners = by_id.loc[calls["engagement_id"], "owner_id"].reset_index(drop=True)
    assert owners.equals(calls["property_hubspot_owner_id"].reset_index(drop=True))
    assert ec["engagement_id"].is_unique and set(ec["engagement_id"]) == set(eng["id"])
    assert set(ec["contact_id"]) <= set(hs["contact"]["id"])
    live = hs["deal"][~hs["deal"]["is_deleted"].astype(bool)]
    assert dc["deal_id"].is_unique and set(dc["deal_id"]) == set(live["deal_id"])
    contact_company = hs["contact"].set_index("id")["property_company"]
    deal_company = hs["deal_company"].set_index("deal_id")["company_id"].map(hs["company"].set_index("id")["property_name"])
    assert (contact_company.loc[dc["contact_id"]].to_numpy() == deal_company.loc[dc["deal_id"]].to_numpy()).all()
    sent = emails[emails["property_hs_email_direction"] == "EMAIL"].set_index("property_hs_email_thread_id")
    replies = emails[emails["property_hs_email_direction"] == "INCOMING_EMAIL"]
    assert 0.15 < len(replies) / len(sent) < 0.3
    assert (replies["property_hs_timestamp"].to_numpy() >
            sent.loc[replies["property_hs_email_thread_id"], "property_hs_timestamp"].to_numpy()).all()
    assert (sent.loc[replies["property_hs_email_thread_id"], "property_hs_email_status"] == "SENT").all()
    last_sync = max(calls["_fivetran_synced"].max(), emails["_fivetran_synced"].max())
    assert calls["property_hs_timestamp"].max() <= last_sync and emails["property_hs_timestamp"].max() <= last_sync
