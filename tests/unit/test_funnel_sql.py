"""The lead funnel (issue 13: mql_to_sql_rate, conversion funnel, lead cohorts) and the revenue cohort
matrix on the hand-built funnel of tests/fixtures/known_funnel.py, whose docstring works every answer
out by hand; the lifecycle property setting; the heat map figure."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pydantic import ValidationError

from components.figures import view_figure
from data_access.catalog import load_catalog
from data_access.config import SOURCES, Settings
from data_access.frame_store import MemoryFrameStore
from data_access.metrics import snapshot, view_frame
from data_access.refresh import refresh_all
from data_access.targets import RevenuePlan, Targets
from data_access.warehouse import DuckDBWarehouse, render
from tests.fixtures import known_funnel

DATASETS = {s: s for s in SOURCES}
TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2000))
AS_OF = known_funnel.AS_OF
QUERIES = ["sales/mql_to_sql_rate", "sales/conversion_funnel", "sales/funnel_by_cohort",
           "sales/lead_cohort_retention", "company_health/revenue_cohort_matrix"]


def _warehouse(path, contacts=True):
    w = DuckDBWarehouse(path, DATASETS)
    w.replace_tables("hubspot", known_funnel.hubspot(contacts))
    w.replace_tables("quickbooks", known_funnel.quickbooks())
    return w


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    w = _warehouse(tmp_path_factory.mktemp("funnel") / "known.duckdb")
    yield w
    w.close()


def _refresh(wh, as_of):
    store, catalog = MemoryFrameStore(), load_catalog()
    results = refresh_all(wh, store, catalog, Settings(), TARGETS, as_of=as_of, queries=QUERIES)
    assert [(r.query, r.error) for r in results if not r.ok] == []
    return store, catalog


@pytest.fixture(scope="module")
def refreshed(wh):
    return _refresh(wh, AS_OF)


def _month(v) -> str:
    return str(pd.Timestamp(v).date())


def _view(refreshed, metric_id, view_id):
    store, catalog = refreshed
    v = catalog.metrics[metric_id].view(view_id)
    return view_frame(v, store.get(v.query).frame, targets=TARGETS)


def test_funnel001_mql_to_sql_counts_a_lead_that_skipped_mql(refreshed):
    """MQLs Mar 18 … Jun 15: contacts 2 (skipped MQL, SQL Apr 20), 3, 5 (SQL after the as-of date),
    8 → 2 of 4 reached SQL; contact 2 is the skipped MQL."""
    store, catalog = refreshed
    snap = snapshot(catalog.metrics["mql_to_sql_rate"], store, TARGETS, AS_OF)
    assert snap.value == pytest.approx(0.5)
    assert snap.extras == {"mql_count": 4, "sql_count": 2, "skipped_mql_count": 1}
    assert snap.status == "green"  # target 0.5, higher is better


def test_funnel002_conversion_funnel_steps_and_median_days(refreshed):
    """Lead 6 → MQL 5 → SQL 3 → Opportunity 1 → Customer 1; medians 15, 15, 5, 45 days."""
    df = _view(refreshed, "mql_to_sql_rate", "conversion_funnel").sort_values("stage_order")
    assert df["stage_label"].tolist() == ["Lead", "MQL", "SQL", "Opportunity", "Customer"]
    assert df["reached_count"].tolist() == [6, 5, 3, 1, 1]
    assert df["conversion_rate"].tolist()[1:] == pytest.approx([5 / 6, 3 / 5, 1 / 3, 1.0])
    assert df["from_lead_rate"].tolist() == pytest.approx([1, 5 / 6, 0.5, 1 / 6, 1 / 6])
    assert df["median_step_days"].tolist()[1:] == [15, 15, 5, 45]


def test_funnel003_funnel_by_lead_month(refreshed):
    """12 cohort months; Jan {1}, Feb {3, 4}, Apr {2, 5}, May {8}; the others have no leads (no rates)."""
    df = _view(refreshed, "mql_to_sql_rate", "funnel_by_cohort")
    assert len(df) == 12
    by = df.set_index(df["month"].map(_month))
    assert by.loc["2026-01-01", ["lead_count", "mql_count", "sql_count", "opportunity_count", "customer_count"]].tolist() == [1, 1, 1, 1, 1]
    assert by.loc["2026-04-01", "lead_count"] == 2 and by.loc["2026-04-01", "mql_to_sql_rate"] == pytest.approx(0.5)
    assert by.loc["2026-04-01", "median_mql_to_sql_days"] == 0  # contact 2 skipped MQL (5 is not SQL yet)
    assert by.loc["2026-02-01", "lead_to_mql_rate"] == pytest.approx(0.5)
    assert by.loc["2026-03-01", "lead_count"] == 0 and by["mql_to_sql_rate"].isna().sum() >= 8


def test_funnel004_lead_cohort_triangle(refreshed):
    """Jan n = 0–5, Feb 0–4, Apr 0–2, May 0–1 (a triangle) × 4 stages; the shares as in the fixture."""
    df = _view(refreshed, "mql_to_sql_rate", "lead_cohort_retention")
    assert len(df) == 64
    cell = {(_month(r.month), r.stage_label, r.months_since_cohort): r.reached_rate for r in df.itertuples()}
    assert max(n for (m, _, n) in cell if m == "2026-01-01") == 5
    assert max(n for (m, _, n) in cell if m == "2026-05-01") == 1
    assert [cell[("2026-01-01", "Customer", n)] for n in range(6)] == [0, 0, 0, 1, 1, 1]
    assert [cell[("2026-01-01", "SQL", n)] for n in range(6)] == [0, 1, 1, 1, 1, 1]
    assert [cell[("2026-02-01", "MQL", n)] for n in range(5)] == [0, 0.5, 0.5, 0.5, 0.5]
    assert [cell[("2026-04-01", "SQL", n)] for n in range(3)] == [0.5, 0.5, 0.5]
    assert cell[("2026-05-01", "MQL", 0)] == cell[("2026-05-01", "SQL", 0)] == 1


def test_funnel005_revenue_cohort_matrix(refreshed):
    """Jan 2026 cohort (customers 1, 2): 1, 0.75, 0, 0.75, 0, 0 of $2,000; Mar 2026 (customer 3): 1, 0.5,
    0, 0 of $400 (the voided May invoice out); customer 4's 2024 cohort is too old."""
    df = _view(refreshed, "nrr", "revenue_cohort_matrix")
    assert len(df) == 10
    jan = df[df["month"].map(_month) == "2026-01-01"].sort_values("months_since_cohort")
    assert jan["revenue_ratio"].tolist() == pytest.approx([1, 0.75, 0, 0.75, 0, 0])
    assert jan["month0_revenue_usd"].unique().tolist() == [2000] and jan["customer_count"].unique().tolist() == [2]
    mar = df[df["month"].map(_month) == "2026-03-01"].sort_values("months_since_cohort")
    assert mar["revenue_ratio"].tolist() == pytest.approx([1, 0.5, 0, 0])
    assert mar["revenue_usd"].tolist() == [400, 200, 0, 0]


def test_funnel006_no_contacts_is_no_data_not_zero(wh, tmp_path):
    """Before any stage date (as of 2025-12-31), and with no contact at all: no value, empty views."""
    for w, as_of in ((wh, dt.date(2025, 12, 31)), (_warehouse(tmp_path / "empty.duckdb", contacts=False), AS_OF)):
        store, catalog = _refresh(w, as_of)
        snap = snapshot(catalog.metrics["mql_to_sql_rate"], store, TARGETS, as_of)
        assert snap.value is None and snap.status == "nodata"
        for view in ("conversion_funnel", "funnel_by_cohort", "lead_cohort_retention"):
            assert _view((store, catalog), "mql_to_sql_rate", view).empty


def test_funnel007_lifecycle_properties_are_a_validated_setting(monkeypatch):
    """PULSE_HUBSPOT_LIFECYCLE_DATE_PROPERTIES renames the columns the staging model reads (on the parsed
    SQL); a name that is not a HubSpot property, or an unknown stage, is refused."""
    default = render("staging/contact_lifecycle", "duckdb", DATASETS)
    assert "property_hs_lifecyclestage_marketingqualifiedlead_date" in default
    monkeypatch.setenv("PULSE_HUBSPOT_LIFECYCLE_DATE_PROPERTIES",
                       '{"marketingqualifiedlead": "hs_v2_date_entered_1234567"}')
    sql = render("staging/contact_lifecycle", "duckdb", DATASETS)
    assert "property_hs_v2_date_entered_1234567" in sql
    assert "property_hs_lifecyclestage_marketingqualifiedlead_date" not in sql
    assert "property_hs_lifecyclestage_lead_date" in sql  # stages not given keep the default
    for bad in ('{"lead": "x; drop table contact"}', '{"prospect": "hs_v2_date_entered_prospect"}'):
        monkeypatch.setenv("PULSE_HUBSPOT_LIFECYCLE_DATE_PROPERTIES", bad)
        with pytest.raises(ValidationError):
            Settings()


def test_funnel008_heatmaps_one_panel_per_stage(refreshed):
    """The cohort triangle draws one heat map per stage (MQL … Customer) with blank cells beyond the
    as-of month; the revenue matrix one heat map."""
    store, catalog = refreshed
    v = catalog.metrics["mql_to_sql_rate"].view("lead_cohort_retention")
    fig = view_figure(v.chart, _view(refreshed, "mql_to_sql_rate", "lead_cohort_retention"), v.title)
    assert [t["name"] for t in fig["data"]] == ["MQL", "SQL", "Opportunity", "Customer"]
    assert {t["type"] for t in fig["data"]} == {"heatmap"}
    first = fig["data"][0]
    assert first["y"] == ["Jan 2026", "Feb 2026", "Apr 2026", "May 2026"]
    assert first["z"][3][2] is None and first["text"][0][0] == "100.0%"
    v = catalog.metrics["nrr"].view("revenue_cohort_matrix")
    fig = view_figure(v.chart, _view(refreshed, "nrr", "revenue_cohort_matrix"), v.title)
    assert len(fig["data"]) == 1 and fig["data"][0]["z"][0][:2] == [1.0, 0.75]


def test_funnel009_settings_takes_the_catalog_default_target():
    """Settings → Targets lists every catalog metric of a page (pages/settings.targets_form iterates the
    catalog); MQL → SQL Rate's row shows 50 % with a 20 % band and accepts a percentage."""
    from data_access.target_form import check_row, shown_band, shown_input
    from data_access.targets import target_for

    metric = load_catalog().metrics["mql_to_sql_rate"]
    assert target_for(metric, TARGETS, AS_OF)[0] == pytest.approx(0.5)
    assert shown_input(metric, 0.5) == 50 and shown_band(0.2) == 20
    edit, errors = check_row(metric, 45, 15)
    assert errors == {} and edit.target == pytest.approx(0.45)
