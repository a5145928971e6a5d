"""``PULSE_SQL_OVERRIDES_DIR``: a company maps its own HubSpot (a ``hubspot_prod`` dataset, the
deal amount in a differently named property) without editing the shipped SQL, by overriding
one staging model; only staging files can be overridden, and the catalog version follows."""
from __future__ import annotations

import pytest

from data_access import check, config, warehouse
from data_access.catalog import CATALOG_PATH, CatalogError, parse_catalog
from data_access.config import Settings
from data_access.refresh import query_params
from data_access.targets import DEFAULT_TARGETS
from data_access.warehouse import DuckDBWarehouse, QueryError, SqlFileError, expanded_sql, load_sql, sql_path
from tests.fixtures import known_company

SHIPPED_DEALS = warehouse.SQL_DIR / "staging" / "deals.sql"
RENAMED = "property_amount_in_home_currency"


def deals_override() -> str:
    """The shipped deals model with the amount read from the company's renamed property."""
    text = SHIPPED_DEALS.read_text()
    assert text.count("coalesce(property_amount, 0) as amount_usd") == 1
    return text.replace("coalesce(property_amount, 0) as amount_usd", f"coalesce({RENAMED}, 0) as amount_usd")


@pytest.fixture
def renamed_warehouse(tmp_path) -> DuckDBWarehouse:
    """The hand-built company in dataset ``hubspot_prod``, deal amount renamed."""
    datasets = {"hubspot": "hubspot_prod", "quickbooks": "quickbooks", "zendesk": "zendesk"}
    wh = DuckDBWarehouse(tmp_path / "acme.duckdb", datasets)
    wh.replace_tables("hubspot", known_company.hubspot())
    wh.replace_tables("quickbooks", known_company.quickbooks())
    wh.connect().execute(f"alter table hubspot_prod.deal rename column property_amount to {RENAMED}")
    yield wh
    wh.close()


def test_ovr001_a_staging_override_replaces_the_shipped_file(overrides_dir):
    override = overrides_dir / "staging" / "deals.sql"
    override.write_text(deals_override())
    assert warehouse.sql_overrides() == {"staging/deals": override}
    assert sql_path("staging/deals") == override
    assert load_sql("staging/deals") == deals_override()
    assert sql_path("staging/owners") == warehouse.SQL_DIR / "staging" / "owners.sql"
    sql = expanded_sql("company_health/avg_deal_size").sql(dialect="bigquery")
    assert RENAMED in sql and "property_amount," not in sql


def test_ovr002_renamed_column_in_hubspot_prod_without_editing_shipped_sql(overrides_dir, renamed_warehouse):
    """Shipped SQL fails on the renamed column; with the override the metrics have their
    hand-worked values (tests/unit/test_metrics_sql.py: average deal 20,000, win rate 2/3)."""
    params = query_params(Settings(), DEFAULT_TARGETS, known_company.AS_OF)
    with pytest.raises(QueryError, match="property_amount"):
        renamed_warehouse.run("company_health/avg_deal_size", params)
    (overrides_dir / "staging" / "deals.sql").write_text(deals_override())
    assert renamed_warehouse.run("company_health/avg_deal_size", params)["value"].iloc[0] == pytest.approx(20_000)
    assert renamed_warehouse.run("company_health/win_rate", params)["value"].iloc[0] == pytest.approx(2 / 3)
    assert SHIPPED_DEALS.read_text().count("coalesce(property_amount, 0) as amount_usd") == 1  # untouched


def test_ovr003_the_catalog_version_follows_overrides(overrides_dir):
    raw = CATALOG_PATH.read_text()
    shipped = parse_catalog(raw).version
    override = overrides_dir / "staging" / "deals.sql"
    override.write_text(deals_override())
    overridden = parse_catalog(raw).version
    override.write_text(SHIPPED_DEALS.read_text())  # same SQL as shipped: same version
    same = parse_catalog(raw).version
    override.unlink()
    assert overridden != shipped and same == shipped and parse_catalog(raw).version == shipped


@pytest.mark.parametrize("name, message", [
    ("company_health/revenue_ytd.sql", "only staging/<model>.sql files can be overridden"),
    ("intermediate/periods.sql", "only staging/<model>.sql files can be overridden"),
    ("staging/deal.sql", "replaces no shipped file (no sql/staging/deal.sql)"),
])
def test_ovr004_only_existing_staging_files_can_be_overridden(overrides_dir, name, message):
    path = overrides_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("select 1 as value\n")
    with pytest.raises(SqlFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        warehouse.sql_overrides()
    with pytest.raises(CatalogError, match="can be overridden|replaces no shipped file"):
        parse_catalog(CATALOG_PATH.read_text())  # the app refuses to start on it


def test_ovr005_a_missing_override_folder_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_SQL_OVERRIDES_DIR", str(tmp_path / "nowhere"))
    config.get_settings.cache_clear()
    try:
        with pytest.raises(SqlFileError, match="is not a folder"):
            sql_path("staging/deals")
    finally:
        config.get_settings.cache_clear()


def test_ovr006_the_check_reads_the_override(overrides_dir, renamed_warehouse):
    """``data_access.check`` lists the override and checks the renamed column, not the shipped one."""
    override = overrides_dir / "staging" / "deals.sql"
    override.write_text(deals_override())
    queries = ["company_health/avg_deal_size", "company_health/win_rate"]
    assert RENAMED in check.required_columns(queries)[("hubspot", "deal")]
    assert "property_amount" not in check.required_columns(queries)[("hubspot", "deal")]
    report = check.run_check(Settings(), renamed_warehouse, as_of=known_company.AS_OF, queries=queries)
    assert report.ok, report.missing
    assert [q.query for q in report.queries] == queries
    text = check.format_report(report)
    assert f"SQL overrides in force:\n  staging/deals.sql  <- {override}\n" in text
    assert "  ok       hubspot.deal (dataset hubspot_prod): 9 columns\n" in text


def test_ovr007_no_override_folder_means_shipped_sql(monkeypatch):
    monkeypatch.delenv("PULSE_SQL_OVERRIDES_DIR", raising=False)
    config.get_settings.cache_clear()
    try:
        assert warehouse.sql_overrides() == {}
        assert sql_path("staging/deals") == SHIPPED_DEALS
        assert [rel for rel, _ in warehouse.sql_files()] == sorted(
            str(p.relative_to(warehouse.SQL_DIR)) for p in warehouse.SQL_DIR.rglob("*.sql"))
        assert all(path == warehouse.SQL_DIR / rel for rel, path in warehouse.sql_files())
    finally:
        config.get_settings.cache_clear()
