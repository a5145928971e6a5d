"""Pulse on a real account's data (issue 12): optional source tables and columns degrade their
models instead of failing them, and the pipeline settings say in words when they find no deal.

The hand-built company (tests/fixtures/known_company.py) has its answers worked out by hand; the
same values must come out when QuickBooks has no customer types, and the Fivetran seeds must run
every catalog query with each optional table removed in turn."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from data_access import check
from data_access.catalog import load_catalog
from data_access.config import SOURCES, Settings
from data_access.frame_store import MemoryFrameStore
from data_access.metrics import snapshot, view_frame
from data_access.pipelines import PIPELINES_QUERY, current_problems, pipeline_problems
from data_access.refresh import refresh_all
from data_access.sources import SourcesError, gaps, optional_inputs, parse_sources
from data_access.targets import DEFAULT_TARGETS, RevenuePlan, Targets
from data_access.warehouse import DuckDBWarehouse

from tests.fixtures import known_company, known_pages

DATASETS = {s: s for s in SOURCES}
TARGETS = Targets(revenue_plan=RevenuePlan(monthly_usd=2000))
AS_OF = known_company.AS_OF


def _known(path: Path) -> DuckDBWarehouse:
    wh = DuckDBWarehouse(path, DATASETS)
    wh.replace_tables("hubspot", known_company.hubspot())
    wh.replace_tables("quickbooks", known_company.quickbooks())
    known_pages.add_page_tables(wh)
    return wh


def _refresh(wh, settings: Settings | None = None, queries=None):
    store, catalog = MemoryFrameStore(), load_catalog()
    results = refresh_all(wh, store, catalog, settings or Settings(), TARGETS, as_of=AS_OF, queries=queries)
    return store, catalog, {r.query: r for r in results}


def _value(store, catalog, metric_id):
    return snapshot(catalog.metrics[metric_id], store, TARGETS, AS_OF)


def _view(store, catalog, metric_id, view_id):
    v = catalog.metrics[metric_id].view(view_id)
    return view_frame(v, store.get(v.query).frame, targets=TARGETS)


@pytest.fixture(scope="module")
def known_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("optional") / "known.duckdb"
    _known(path).close()
    return path


def _known_without(known_file: Path, tmp_path: Path, sql: str) -> DuckDBWarehouse:
    """A copy of the hand-built company's warehouse with ``sql`` (a DROP or ALTER) applied."""
    path = tmp_path / "changed.duckdb"
    shutil.copy(known_file, path)
    wh = DuckDBWarehouse(path, DATASETS)
    wh.connect().execute(sql)
    return wh


@pytest.mark.parametrize("gone", ["table", "column"])
def test_opt001_quickbooks_without_customer_types_keeps_every_company_health_value(known_file, tmp_path, gone):
    """No ``customer_type`` table (a company that never used customer types), or a ``customer``
    table without ``customer_type_id``: NRR, GRR, concentration and the churned list are the
    hand-computed values of test_metrics_sql, and every customer's segment is Unclassified."""
    wh = _known_without(known_file, tmp_path, "drop table quickbooks.customer_type" if gone == "table"
                        else "alter table quickbooks.customer drop column customer_type_id")
    store, catalog, results = _refresh(wh)
    assert [(q, r.error) for q, r in results.items() if not r.ok] == []
    # prior window 6,000 (Acme 3,000, Bloom 2,000, Dune 1,000); current 5,000; GRR 4,500 / 6,000
    assert _value(store, catalog, "nrr").value == pytest.approx(5000 / 6000)
    assert _value(store, catalog, "grr").value == pytest.approx(0.75)
    assert _value(store, catalog, "customer_concentration").value == pytest.approx(3500 / 6000)
    assert _value(store, catalog, "churned_customers").value == 1
    churned = _view(store, catalog, "nrr", "churned_customers")
    assert churned["customer_name"].tolist() == ["Dune Co"] and churned["prior_usd"].tolist() == [1000]
    # revenue YTD 5,300 in one segment: nobody is classified
    by_segment = _view(store, catalog, "revenue_ytd", "revenue_by_segment")
    assert dict(zip(by_segment["segment"], by_segment["revenue_usd"])) == pytest.approx({"Unclassified": 5300})
    assert set(_view(store, catalog, "nrr", "nrr_by_customer")["segment"]) == {"Unclassified"}
    wh.close()


def test_opt002_no_deal_company_associations_name_every_company_unknown(known_file, tmp_path):
    wh = _known_without(known_file, tmp_path, "drop table hubspot.deal_company")
    store, catalog, results = _refresh(wh)
    assert [(q, r.error) for q, r in results.items() if not r.ok] == []
    deals = _view(store, catalog, "pipeline_coverage", "open_deals")
    assert deals["deal_name"].tolist() == ["Deal 1", "Deal 2", "Deal 10", "Deal 14", "Deal 13"]
    assert set(deals["company_name"]) == {"Unknown company"}
    assert _value(store, catalog, "pipeline_coverage").value == pytest.approx(19000 / 3300)  # unchanged
    wh.close()


def test_opt003_a_required_table_missing_still_fails_with_its_name(known_file, tmp_path):
    wh = _known_without(known_file, tmp_path, "drop table hubspot.owner")
    _, _, results = _refresh(wh, queries=["company_health/win_rate_by_rep"])
    failed = results["company_health/win_rate_by_rep"]
    assert not failed.ok and "owner" in failed.error and failed.error_class == "CatalogException"
    wh.close()


def test_opt004_sources_yml_is_checked():
    assert {o.name for o in optional_inputs()} >= {
        "quickbooks.customer_type", "quickbooks.customer.customer_type_id", "hubspot.deal_company",
        "quickbooks.invoice.exchange_rate"}
    with pytest.raises(SourcesError, match="not a staging model"):
        parse_sources("staging/nope:\n  - {input: quickbooks.customer_type, degrades: x}\n")
    with pytest.raises(SourcesError, match="has no column 'typo'"):
        parse_sources("staging/customers:\n  - {input: quickbooks.customer.typo, degrades: x}\n")
    with pytest.raises(SourcesError, match="exactly `input` and `degrades`"):
        parse_sources("staging/customers:\n  - {input: quickbooks.customer_type}\n")
    # an absent table is a stand-in for the model declaring it; a column of an absent table that is
    # itself required is left alone (its queries fail and the check names the table)
    present = {("quickbooks", "customer_type"): None, ("quickbooks", "customer"): {"id"}}
    got = gaps(present)
    assert got["staging/customers"] == {("quickbooks", "customer_type"): None,
                                        ("quickbooks", "customer"): frozenset({"customer_type_id"})}
    assert "staging/revenue_lines" not in got  # quickbooks.invoice: not looked at → left alone


# ------------------------------------------------------------------ pipelines


def _two_pipelines(path: Path) -> DuckDBWarehouse:
    """The hand-built company's deals are in HubSpot's ``default`` pipeline; one more sales deal
    (won, 99,000 USD) sits in a second pipeline ``enterprise`` that Pulse must not count."""
    wh = _known(path)
    deal = known_company.hubspot()["deal"]
    extra = deal[deal["deal_id"] == 4].assign(deal_id=99, property_amount=99_000.0, deal_pipeline_id="enterprise")
    wh.replace_tables("hubspot", {**known_company.hubspot(), "deal": pd.concat([deal, extra], ignore_index=True),
                                  "deal_pipeline": pd.DataFrame({
                                      "pipeline_id": ["default", "enterprise", "supply_onboarding"],
                                      "label": ["Sales Pipeline", "Enterprise", "Supply Onboarding"],
                                      "_fivetran_deleted": [False, False, False]})})
    known_pages.add_page_tables(wh)
    return wh


def test_opt005_sales_metrics_come_from_the_default_pipeline_only(tmp_path):
    wh = _two_pipelines(tmp_path / "two.duckdb")
    store, catalog, results = _refresh(wh)
    assert all(r.ok for r in results.values())
    # win rate (90 days): won 4 and 12, lost 5 → 2 / 3; the enterprise deal (won) is not counted
    assert _value(store, catalog, "win_rate").value == pytest.approx(2 / 3)
    assert current_problems(store) == {}
    frame = store.get(PIPELINES_QUERY).frame.set_index("pipeline_id")
    assert frame.loc["default", "deal_count"] == 12 and bool(frame.loc["default", "is_sales"])
    assert frame.loc["enterprise", "deal_count"] == 1 and not bool(frame.loc["enterprise", "is_sales"])
    wh.close()


# 15 hand-built deals: 2 soft-deleted, 1 in the supply pipeline → 12 in `default`; + 1 in `enterprise`
MESSAGE = ("No deals in sales pipeline `demand_sales`; this HubSpot has: `default` — Sales Pipeline "
           "(12 deals), `enterprise` — Enterprise (1 deal), `supply_onboarding` — Supply Onboarding "
           "(1 deal); set PULSE_SALES_PIPELINE_IDS")


def test_opt006_a_configured_pipeline_without_deals_is_said_in_words(tmp_path, capsys, monkeypatch):
    wh = _two_pipelines(tmp_path / "two.duckdb")
    settings = Settings(sales_pipeline_id="demand_sales")  # the older single-id setting still works
    assert settings.sales_pipeline_ids == ["demand_sales"]
    store, catalog, _ = _refresh(wh, settings)
    assert current_problems(store) == {"sales": MESSAGE}
    assert pipeline_problems(None) == {}  # before the first refresh: nothing to say yet
    # the card says it (kpi_card with the problem of its metric), the API and /status too
    from components.kpi_card import kpi_card
    from data_access.pipelines import metric_problem

    metric = catalog.metrics["win_rate"]
    snap = _value(store, catalog, "win_rate")
    card = kpi_card(metric, snap.value, snap.target, snap.status, "as of", problem=metric_problem(metric, {"sales": MESSAGE}))
    text = str(card)
    assert "No deals" in text and MESSAGE in text and "kpi-nodata" in text
    assert metric_problem(catalog.metrics["revenue_ytd"], {"sales": MESSAGE}) is None  # invoices, not deals
    wh.close()

    ro = DuckDBWarehouse(tmp_path / "two.duckdb", DATASETS, read_only=True)
    report = check.run_check(settings, ro, as_of=AS_OF)
    assert report.pipeline_problems == [MESSAGE + "\n    fix: PULSE_SALES_PIPELINE_IDS=default python -m data_access.check"]
    assert not report.ok
    out = check.format_report(report)
    assert f"  PROBLEM  {MESSAGE}\n    fix: PULSE_SALES_PIPELINE_IDS=default python -m data_access.check\n" in out
    assert out.endswith("Result: FAILED: 1 pipeline setting finds no deals.\n")
    ro.close()


# ------------------------------------------------------------------ the Fivetran seeds, as a user would


def _optional_tables_present(path: Path) -> list[tuple[str, str]]:
    wh = DuckDBWarehouse(path, DATASETS, read_only=True)
    present = wh.present_optional()
    wh.close()
    return sorted({(o.source, o.table) for o in optional_inputs() if o.column is None
                   and present.get((o.source, o.table)) is not None})


SEED_AS_OF = dt.date(2021, 2, 15)


def test_opt007_the_seeds_run_every_query_with_each_optional_table_removed(seeds_file, tmp_path):
    """Every optional table the seeds have is dropped in turn: every catalog query still runs, and
    the check reports it absent (optional) with what degrades, never as missing."""
    tables = _optional_tables_present(seeds_file)
    assert ("quickbooks", "customer_type") in tables and ("hubspot", "deal_company") in tables
    for source, table in tables:
        path = tmp_path / f"{source}_{table}.duckdb"
        shutil.copy(seeds_file, path)
        wh = DuckDBWarehouse(path, DATASETS)
        wh.connect().execute(f'drop table "{source}"."{table}"')
        store = MemoryFrameStore()
        results = refresh_all(wh, store, load_catalog(), Settings(), DEFAULT_TARGETS, as_of=SEED_AS_OF)
        assert [(r.query, r.error) for r in results if not r.ok] == [], f"without {source}.{table}"
        # Revenue YTD on the seeds is $51.2K whatever optional table is gone (none of its inputs is optional)
        revenue = store.get("company_health/revenue_ytd").frame["value"].iloc[0]
        assert revenue == pytest.approx(51_200, rel=0.01), f"without {source}.{table}"
        wh.close()
        ro = DuckDBWarehouse(path, DATASETS, read_only=True)
        report = check.run_check(Settings(), ro, as_of=SEED_AS_OF)
        ro.close()
        assert f"{source}.{table}" in report.absent_optional and report.missing == []
        assert report.failed_queries == []
