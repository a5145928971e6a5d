"""``python -m data_access.check``: what the catalog's SQL reads, checked against DuckDB (the
Fivetran seeds, the seeds with a column and a table gone, the demo) and against BigQuery
(bqemulator: INFORMATION_SCHEMA and dry runs through the official client)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from data_access import check, config
from data_access.catalog import load_catalog
from data_access.config import SOURCES, Settings
from data_access.demo import write_demo
from data_access.refresh import query_params
from data_access.targets import DEFAULT_TARGETS
from data_access.warehouse import BigQueryWarehouse, DuckDBWarehouse, source_tables
from tests.bigquery.conftest import DEMO_AS_OF, SEED_AS_OF
from tests.conftest import PROJECT_ROOT

DATASETS = {source: source for source in SOURCES}
SEED_SOURCES = ("hubspot", "quickbooks")
QUERIES = load_catalog().queries()

# What the Company Health SQL (its first 19 queries) reads, worked out by reading
# sql/staging/{deals,owners,revenue_lines,customers}.sql, the only files they use that name raw
# tables: the check must derive exactly this from the SQL trees.
COMPANY_HEALTH = [f"company_health/{q}" for q in (
    "revenue_ytd", "pipeline_coverage", "win_rate", "avg_deal_size", "sales_cycle_days", "nrr", "grr",
    "customer_concentration", "revenue_by_customer", "revenue_by_month", "revenue_by_segment",
    "pipeline_by_rep_stage", "pipeline_by_close_date", "open_deals", "win_rate_by_rep", "won_deals",
    "nrr_by_customer", "churned_customers", "revenue_share_by_customer")]
READS = {
    ("hubspot", "company"): {"id", "property_name"},
    ("hubspot", "deal"): {"deal_id", "deal_pipeline_id", "deal_pipeline_stage_id", "is_deleted", "owner_id",
                          "property_amount", "property_closedate", "property_createdate", "property_dealname"},
    ("hubspot", "deal_company"): {"company_id", "deal_id"},
    ("hubspot", "deal_pipeline_stage"): {"_fivetran_deleted", "closed_won", "display_order", "is_closed", "label",
                                         "probability", "stage_id"},
    ("hubspot", "owner"): {"email", "first_name", "last_name", "owner_id"},
    ("quickbooks", "customer"): {"company_name", "customer_type_id", "display_name", "id"},
    ("quickbooks", "customer_type"): {"_fivetran_deleted", "id", "name"},
    ("quickbooks", "invoice"): {"_fivetran_deleted", "customer_id", "exchange_rate", "id", "transaction_date"},
    ("quickbooks", "invoice_line"): {"amount", "detail_type", "invoice_id"},
}
PIPELINE_PROBLEMS = [
    "No deals in sales pipeline `default`; this HubSpot has: (no pipeline) (44 deals); set PULSE_SALES_PIPELINE_IDS",
    "No deals in supply pipeline `supply_onboarding`; this HubSpot has: (no pipeline) (44 deals); "
    "set PULSE_SUPPLY_PIPELINE_IDS",
]


@pytest.fixture
def env(monkeypatch):
    """Set PULSE_* variables for ``check.main`` (settings cache cleared before and after)."""
    for var in ("PULSE_WAREHOUSE", "PULSE_BIGQUERY_PROJECT", "BIGQUERY_PROJECT", "PULSE_SQL_OVERRIDES_DIR",
                "PULSE_SALES_PIPELINE_ID", "PULSE_SALES_PIPELINE_IDS", "PULSE_SUPPLY_PIPELINE_IDS", *(f"PULSE_{s.upper()}_DATASET" for s in SOURCES)):
        monkeypatch.delenv(var, raising=False)
    config.get_settings.cache_clear()

    def set_env(**values: str) -> None:
        for k, v in values.items():
            monkeypatch.setenv(k, v)
        config.get_settings.cache_clear()

    yield set_env
    config.get_settings.cache_clear()


def test_chk001_columns_read_come_from_the_sql_trees():
    assert check.required_columns(COMPANY_HEALTH) == READS
    everything = check.required_columns(QUERIES)
    assert all(everything[key] >= cols for key, cols in READS.items())
    assert set(everything) == set().union(*(source_tables(q) for q in QUERIES))


def test_chk002_what_the_seeds_lack(seeds_file, env, capsys):
    """The seeds have every HubSpot and QuickBooks table and column the SQL requires; they lack
    the non-Fivetran sources (the marketplace inventory, the finance budget), which every model
    reading them declares optional (``sources.yml``): reported as absent with the views that
    degrade, and every query still plans. No seed deal is in a pipeline: both pipeline settings
    are problems (the check fails), named with what the HubSpot holds."""
    wh = DuckDBWarehouse(seeds_file, DATASETS, read_only=True)
    report = check.run_check(Settings(), wh, as_of=SEED_AS_OF)
    wh.close()
    assert [t for t in report.tables if not t.ok] == []
    assert report.missing == [] and report.failed_queries == []
    assert report.absent_optional == [  # the seeds have no lifecycle dates, no reply/connected fields, no engagement owners
        "finance.budget", *(f"hubspot.contact.property_hs_lifecyclestage_{stage}_date"
                            for stage in ("customer", "lead", "marketingqualifiedlead", "opportunity", "salesqualifiedlead")),
        "hubspot.engagement.owner_id", "hubspot.engagement_call.property_hs_call_disposition",
        "hubspot.engagement_call.property_hubspot_owner_id", "hubspot.engagement_email.property_hs_email_direction",
        "hubspot.engagement_email.property_hs_email_status", "hubspot.engagement_email.property_hs_email_thread_id",
        "marketplace.inventory", "surveys.response"]
    assert report.degraded["finance.budget"] == ["coo/opex_vs_budget", "coo/opex_by_category", "coo/opex_by_month"]
    assert report.degraded["marketplace.inventory"] == ["supply/new_unique_inventory",
                                                        "supply/inventory_by_event_type"]
    assert "company_health/revenue_ytd" in {q.query for q in report.queries if q.ok}
    assert report.pipeline_problems == [f"{p}\n    fix: none to suggest: no pipeline of this HubSpot holds deals"
                                        for p in PIPELINE_PROBLEMS]
    assert all(q.bytes_processed is None for q in report.queries) and report.total_bytes is None
    assert not report.ok

    env(PULSE_DUCKDB_PATH=str(seeds_file), PULSE_AS_OF_DATE=SEED_AS_OF.isoformat())
    assert check.main([]) == 1
    out = capsys.readouterr().out
    assert "  ok       quickbooks.invoice_line: 3 columns\n" in out
    assert "  absent   finance.budget: dataset finance not found (optional)\n" in out
    assert ("Optional inputs absent (14): the models below degrade, nothing fails:\n"
            "  finance.budget (staging/budget): no operating budget: OpEx vs budget has no budget to compare with\n"
            "    degrades 3 queries: coo/opex_vs_budget, coo/opex_by_category, coo/opex_by_month\n") in out
    assert ("  surveys.response (staging/survey_responses): no survey responses: CSAT and NPS have no data\n"
            "    degrades 8 queries: support/csat_score, support/nps, support/csat_by_month, support/csat_by_channel,"
            " support/csat_by_segment, support/survey_responses, support/nps_by_month, support/nps_by_customer\n") in out
    assert "Query plans (DuckDB EXPLAIN; dry-run bytes are BigQuery-only):" in out
    assert f"  PROBLEM  {PIPELINE_PROBLEMS[0]}\n    fix: none to suggest: no pipeline of this HubSpot holds deals\n" in out
    assert out.endswith("Result: FAILED: 2 pipeline settings find no deals.\n")


def test_chk003_missing_column_and_table_are_named(seeds_file, tmp_path, env, capsys):
    """A connector without ``hubspot.owner`` (required) and without ``invoice.exchange_rate``
    (optional: amounts stay in the home currency): the owner table is MISSING and the queries
    reading it do not plan; the exchange rate is reported as an absent optional column and the
    revenue queries still plan."""
    path = tmp_path / "older.duckdb"
    shutil.copy(seeds_file, path)
    wh = DuckDBWarehouse(path, DATASETS)
    wh.connect().execute("alter table quickbooks.invoice drop column exchange_rate")
    wh.connect().execute("drop table hubspot.owner")
    wh.close()

    env(PULSE_DUCKDB_PATH=str(path), PULSE_AS_OF_DATE=SEED_AS_OF.isoformat())
    assert check.main([]) == 1
    out = capsys.readouterr().out
    assert "  MISSING  hubspot.owner: table not found\n" in out
    assert "quickbooks.invoice.exchange_rate (staging/revenue_lines)" in out
    assert "MISSING  quickbooks.invoice" not in out
    assert f"  {'company_health/revenue_ytd':<{max(map(len, QUERIES))}}  ok\n" in out
    assert f"  {'company_health/win_rate':<{max(map(len, QUERIES))}}  FAILED: " in out
    assert out.splitlines()[-1].startswith("Result: FAILED: 1 missing (hubspot.owner); ")


def test_chk004_demo_has_everything(tmp_path, env, capsys):
    path = tmp_path / "demo.duckdb"
    wh = DuckDBWarehouse(path, DATASETS)
    write_demo(wh, 0.05, DEMO_AS_OF, seed=7)
    wh.close()
    env(PULSE_DUCKDB_PATH=str(path), PULSE_AS_OF_DATE=DEMO_AS_OF.isoformat())
    assert check.main([]) == 0
    out = capsys.readouterr().out
    for word in ("MISSING", "FAILED", "Warnings:", "PROBLEM", "absent", "Optional inputs absent"):
        assert word not in out
    assert out.count("  ok       ") == len(check.required_columns(QUERIES))
    assert out.endswith(f"all {len(QUERIES)} queries plan.\n")


def test_chk005_a_missing_warehouse_is_exit_2(tmp_path, env, capsys):
    env(PULSE_DUCKDB_PATH=str(tmp_path / "nothing_here.duckdb"))
    assert check.main([]) == 2
    assert capsys.readouterr().err.startswith("error: cannot check the warehouse: ")


def test_chk006_bigquery_dry_runs_on_the_emulator(bq_data, bq_emulator, env, capsys):
    """On BigQuery (the demo on the emulator) the check reads INFORMATION_SCHEMA.COLUMNS and
    dry-runs the queries (here one page's, ``--page``, for time); the emulator plans them but
    reports 0 bytes (real BigQuery reports what each would scan)."""
    page = min(load_catalog().pages, key=lambda p: len(check.page_queries(p)) or 99)
    queries = check.page_queries(page)
    env(PULSE_BIGQUERY_PROJECT=bq_emulator.project, PULSE_BIGQUERY_API_ENDPOINT=bq_emulator.endpoint,
        PULSE_AS_OF_DATE=DEMO_AS_OF.isoformat())
    assert check.main(["--page", page]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pulse warehouse check: bigquery, project pulse-local\n")
    assert "MISSING" not in out and "Warnings:" not in out
    assert out.count("  ok       ") == len(check.required_columns(queries))
    assert "Dry run: bytes each query would process (maximum_bytes_billed 50.0 GiB per query):" in out
    width = max(len(q) for q in queries + ["x" * 36])
    for q in queries:
        assert f"  {q:<{width}}  {'0 B':>10}\n" in out
    assert f"  {f'total per refresh cycle ({len(queries)} queries)':<{width}}  {'0 B':>10}\n" in out
    assert out.endswith(f"Result: OK: every table and column the SQL reads exists; all {len(queries)} queries plan.\n")
    assert check.main(["--page", "no_such_page"]) == 2


def test_chk007_bigquery_missing_dataset_on_the_emulator(bq_data):
    seeds = bq_data["seeds"]
    wh = BigQueryWarehouse(seeds.bq.project, {**seeds.datasets, "quickbooks": "no_such_dataset"},
                           api_endpoint=seeds.bq.api_endpoint, retry_deadline_s=30)
    required = check.required_columns(QUERIES)
    tables = check.check_tables(wh, required)
    assert {f"{t.dataset}.{t.table}" for t in tables if t.source == "quickbooks"} == {
        f"no_such_dataset.{t}" for s, t in required if s == "quickbooks"}
    assert all(not t.dataset_exists for t in tables if t.source == "quickbooks")
    assert all(t.ok for t in tables if t.source == "hubspot")  # read from INFORMATION_SCHEMA.COLUMNS
    params = query_params(Settings(), DEFAULT_TARGETS, SEED_AS_OF)
    plans = check.plan_queries(wh, ["company_health/revenue_ytd", "company_health/win_rate"], params)
    assert [(q.query, q.ok, q.bytes_processed) for q in plans] == [
        ("company_health/revenue_ytd", False, None), ("company_health/win_rate", True, 0)]
    assert plans[0].error == ("query 'company_health/revenue_ytd' failed: NotFound: "
                              "dataset no_such_dataset not found in project pulse-local")


def test_chk008_scan_table_in_the_docs_is_current(capsys):
    """docs/bigquery.md carries the tables ``--scan-table`` prints: every row there is what the
    SQL says today (regenerate with ``python -m data_access.check --scan-table``)."""
    assert check.main(["--scan-table"]) == 0
    generated = capsys.readouterr().out
    assert "| `company_health/revenue_ytd` | `quickbooks.invoice`, `quickbooks.invoice_line` |\n" in generated
    docs = (PROJECT_ROOT / "docs" / "bigquery.md").read_text()
    section = docs[docs.index("## 8. Which queries scan which tables"):docs.index("## 9.")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) >= 19 + 9
    stale = [row for row in rows if row not in generated.splitlines()]
    assert stale == []
