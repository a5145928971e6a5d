"""Catalog validation: start-up fails with a message naming the bad entry."""
from __future__ import annotations

import pytest
import yaml

from data_access.catalog import CATALOG_PATH, CatalogError, load_catalog, parse_catalog


def _raw():
    return yaml.safe_load(CATALOG_PATH.read_text())


def _parse(data) -> None:
    parse_catalog(yaml.safe_dump(data, allow_unicode=True))


def test_cat001_shipped_catalog_is_valid():
    catalog = load_catalog()
    assert set(catalog.metrics) == {
        "revenue_ytd", "pipeline_coverage", "win_rate", "avg_deal_size", "sales_cycle_days", "nrr", "grr",
        "customer_concentration", "cash_position", "time_to_fulfill_days", "churned_customers",
        "pipeline_usd", "weighted_pipeline_usd", "open_deals_without_close_date", "mql_to_sql_rate",
        "opex_vs_budget", "bill_payment_timeliness", "current_assets", "working_capital",
        "new_unique_inventory", "onboarded_last_7_days", "onboarding_days_in_stage", "meetings_next_7_days",
        "meetings_last_7_days", "contacts_stuck_supply_target", "lead_queue_runway_days",
        "contract_spend_pct", "unspent_contract_usd", "renewals_due_90_days_usd", "renewal_rate", "at_risk_arr_usd",
        "ticket_sla_compliance", "first_reply_time_hours", "open_tickets", "csat_score", "nps", "zendesk_satisfaction",
        "activities_last_30_days", "meetings_held_last_30_days", "health_score"}
    assert len(catalog.version) == 12
    for m in catalog.metrics.values():
        assert m.tooltip.definition and m.tooltip.calculation and m.views


def test_cat002_missing_sql_file_names_the_entry():
    data = _raw()
    data["metrics"]["win_rate"]["views"][0]["query"] = "company_health/nope"
    with pytest.raises(CatalogError, match=r"metrics\.win_rate\.views\[0\]\.query: .*nope"):
        _parse(data)


def test_cat003_broken_sql_names_the_file(tmp_path, monkeypatch):
    from data_access import warehouse

    (tmp_path / "company_health").mkdir()
    (tmp_path / "company_health" / "broken.sql").write_text("select from where (")
    monkeypatch.setattr(warehouse, "SQL_DIR", tmp_path)
    data = _raw()
    data["metrics"] = {"win_rate": {**data["metrics"]["win_rate"], "query": "company_health/broken", "views": []}}
    with pytest.raises(CatalogError, match=r"metrics\.win_rate\.query: .*broken\.sql.*does not parse"):
        _parse(data)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.update(unit="percent"), r"metrics\.win_rate\.unit"),
        (lambda m: m.update(direction="up"), r"metrics\.win_rate\.direction"),
        (lambda m: m.update(yellow_band=1.5), r"metrics\.win_rate\.yellow_band"),
        (lambda m: m.pop("target"), r"metrics\.win_rate.*target"),
        (lambda m: m.update(cadence={"cron": "not a cron"}), r"metrics\.win_rate\.cadence"),
        (lambda m: m.update(cadence={"cron": "0 2 * * *", "interval_minutes": 5}), r"metrics\.win_rate\.cadence"),
        (lambda m: m["tooltip"].pop("why"), r"metrics\.win_rate\.tooltip\.why"),
        (lambda m: m.update(page="nowhere"), r"metrics\.win_rate\.page: unknown page 'nowhere'"),
        (lambda m: m.update(colour="red"), r"metrics\.win_rate\.colour"),
    ],
)
def test_cat004_invalid_entries_are_named(edit, message):
    data = _raw()
    edit(data["metrics"]["win_rate"])
    with pytest.raises(CatalogError, match=message):
        _parse(data)


def test_cat005_duplicate_view_ids_rejected():
    data = _raw()
    views = data["metrics"]["revenue_ytd"]["views"]
    views.append(dict(views[0]))
    with pytest.raises(CatalogError, match=r"metrics\.revenue_ytd.*duplicate view ids"):
        _parse(data)


def test_cat006_not_yaml():
    with pytest.raises(CatalogError, match="not valid YAML"):
        parse_catalog("metrics: [unclosed")
