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
from data_access.load import load_folder
from data_access.refresh import query_params
from data_access.targets import DEFAULT_TARGETS
from data_access.warehouse import BigQueryWarehouse, DuckDBWarehouse, source_tables
from tests.bigquery.conftest import DEMO_AS_OF, SEED_AS_OF
from tests.conftest import PROJECT_ROOT, SEEDS

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
PIPELINE_WARNING = ("no deal in the sales pipeline 'demand_sales' (PULSE_SALES_PIPELINE_ID): the deal metrics "
                    "will say 'No data'. Deals per pipeline: (no pipeline): 44")


@pytest.fixture(scope="module")
def seeds_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("check") / "seeds.duckdb"
    wh = DuckDBWarehouse(path, DATASETS)
    load_folder(wh, "hubspot", SEEDS / "dbt_hubspot")
    load_folder(wh, "quickbooks", SEEDS / "dbt_quickbooks")
    wh.close()
    return path


@pytest.fixture
def env(monkeypatch):
    """Set PULSE_* variables for ``check.main`` (settings cache cleared before and after)."""
    for var in ("PULSE_WAREHOUSE", "PULSE_BIGQUERY_PROJECT", "BIGQUERY_PROJECT", "PULSE_SQL_OVERRIDES_DIR",
                "PULSE_SALES_PIPELINE_ID", *(f"PULSE_{s.upper()}_DATASET" for s in SOURCES)):
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
    """The seeds have every HubSpot and QuickBooks table and column the SQL reads; they lack the
    non-Fivetran sources (the marketplace inventory, the finance budget: not in the seeds), so
    the queries reading those do not plan and the check exits 1; and no deal is in a pipeline
    (a warning, not a failure)."""
    wh = DuckDBWarehouse(seeds_file, DATASETS, read_only=True)
    report = check.run_check(Settings(), wh, as_of=SEED_AS_OF)
    wh.close()
    required = check.required_columns(QUERIES)
    elsewhere = sorted(f"{s}.{t}" for s, t in required if s not in SEED_SOURCES)
    assert [t for t in report.tables if t.source in SEED_SOURCES and not t.ok] == []
    assert report.missing == elsewhere
    assert {"finance.budget", "marketplace.inventory"} <= set(elsewhere)
    assert all(not t.dataset_exists for t in report.tables if t.source not in SEED_SOURCES)
    failed = {q.query for q in report.failed_queries}
    assert failed == {q for q in QUERIES if any(s not in SEED_SOURCES for s, _ in source_tables(q))}
    assert "company_health/revenue_ytd" not in failed
    assert report.warnings == [PIPELINE_WARNING]
    assert all(q.bytes_processed is None for q in report.queries) and report.total_bytes is None
    assert not report.ok

    env(PULSE_DUCKDB_PATH=str(seeds_file), PULSE_AS_OF_DATE=SEED_AS_OF.isoformat())
    assert check.main([]) == 1
    out = capsys.readouterr().out
    assert "  ok       quickbooks.invoice_line: 3 columns\n" in out
    assert "  MISSING  finance.budget: dataset finance not found\n" in out
    assert "Query plans (DuckDB EXPLAIN; dry-run bytes are BigQuery-only):" in out
    assert f"  {PIPELINE_WARNING}\n" in out
    assert out.endswith(f"Result: FAILED: {len(elsewhere)} missing ({', '.join(elsewhere)}); "
                        f"{len(failed)} of {len(QUERIES)} queries do not plan.\n")


def test_chk003_missing_column_and_table_are_named(seeds_file, tmp_path, env, capsys):
    """An older connector without ``invoice.exchange_rate`` and no ``hubspot.owner``: both are
    named, with how much of the table is there, and the queries reading them do not plan."""
    path = tmp_path / "older.duckdb"
    shutil.copy(seeds_file, path)
    wh = DuckDBWarehouse(path, DATASETS)
    wh.connect().execute("alter table quickbooks.invoice drop column exchange_rate")
    wh.connect().execute("drop table hubspot.owner")
    wh.close()

    env(PULSE_DUCKDB_PATH=str(path), PULSE_AS_OF_DATE=SEED_AS_OF.isoformat())
    assert check.main([]) == 1
    out = capsys.readouterr().out
    n_invoice = len(check.required_columns(QUERIES)[("quickbooks", "invoice")])
    assert "  MISSING  hubspot.owner: table not found\n" in out
    assert (f"  MISSING  quickbooks.invoice: columns exchange_rate ({n_invoice - 1} of {n_invoice} present)\n"
            in out)
    assert "hubspot.owner, " in out and "quickbooks.invoice.exchange_rate" in out.splitlines()[-1]
    assert f"  {'company_health/revenue_ytd':<{max(map(len, QUERIES))}}  FAILED: BinderException: " in out


def test_chk004_demo_has_everything(tmp_path, env, capsys):
    path = tmp_path / "demo.duckdb"
    wh = DuckDBWarehouse(path, DATASETS)
    write_demo(wh, 0.05, DEMO_AS_OF, seed=7)
    wh.close()
    env(PULSE_DUCKDB_PATH=str(path), PULSE_AS_OF_DATE=DEMO_AS_OF.isoformat())
    assert check.main([]) == 0
    out = capsys.readouterr().out
    assert "MISSING" not in out and "FAILED" not in out and "Warnings:" not in out
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
