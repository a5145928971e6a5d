"""Renewals in headless Chromium: a manager signed in adds a renewal (a malformed amount is refused with a
message and nothing is written), edits it, and the recent changes show both under their email; the
renewal cards show Pulse's database values; a viewer reads the table without any way to edit, and the
Customers page with its at-risk panel."""
from __future__ import annotations

import json

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from data_access.customers import refresh_customers
from data_access.db import AuditEvent, Renewal, session_scope
from data_access.refresh import refresh_api_metric
from tests.browser.test_settings import _click, _nav, _pid, _sign_in, _type
from tests.conftest import migrated_sqlite
from tests.fixtures.auth_files import auth_runtime


def _field(name: str) -> str:
    return "[id='" + json.dumps({"field": name, "type": "renewal-field"}, separators=(",", ":"), sort_keys=True) + "']"


def _feedback(name: str) -> str:
    return "[id='" + json.dumps({"field": name, "type": "renewal-feedback"}, separators=(",", ":"),
                                sort_keys=True) + "']"


def _runtime(tmp_path):
    url = migrated_sqlite(tmp_path)
    rt = auth_runtime(tmp_path, "password", database_url=url)
    assert refresh_customers(rt).inserted == 4
    for metric in rt.catalog.metrics_on("renewals"):
        refresh_api_metric(metric, rt.store, rt.settings, rt.today())
    return rt


def _select(dash_duo, name: str, value: str) -> None:
    box = dash_duo.find_element(_field(name))
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    Select(box).select_by_value(value)
    assert box.get_attribute("value") == value


def test_rnw101_a_manager_adds_and_edits_a_renewal_and_the_changes_show_it(dash_duo, pulse_app, swap_runtime,
                                                                            tmp_path):
    rt = _runtime(tmp_path)
    swap_runtime(rt)
    _sign_in(dash_duo, pulse_app, "mgr@x.com")
    _nav(dash_duo, "Renewals")
    dash_duo.wait_for_contains_text("#renewals-table", "No renewals match these filters.", timeout=10)
    assert "$0" in dash_duo.find_element(_pid("kpi-card", "renewals_due_90_days_usd")).text

    _click(dash_duo, "#renewal-add")
    dash_duo.wait_for_text_to_equal("#renewal-title", "New renewal", timeout=8)
    dash_duo.select_dcc_dropdown(_field("customer_id"), value="Acme Drinks")
    date = dash_duo.find_element(_field("renewal_date"))
    date.send_keys("01152027")  # the native date input, month/day/year in en-US
    _type(dash_duo, _field("current_value_usd"), "twelve thousand")
    _select(dash_duo, "risk_level", "high")
    _type(dash_duo, _field("owner"), "Dana AM")
    _click(dash_duo, "#renewal-save")
    dash_duo.wait_for_contains_text(_feedback("current_value_usd"), "Not an amount", timeout=8)
    assert "Nothing saved" in dash_duo.find_element("#renewal-form-message").text
    with session_scope(rt.db()) as s:
        assert s.scalars(select(Renewal)).all() == []  # nothing written

    _type(dash_duo, _field("current_value_usd"), "12,000")
    _click(dash_duo, "#renewal-save")
    dash_duo.wait_for_contains_text("#renewals-message", "Added the renewal of Acme Drinks (open, Jan 15, 2027).",
                                    timeout=8)
    with session_scope(rt.db()) as s:
        (added,) = s.scalars(select(Renewal)).all()
        assert (added.risk_level, added.owner, str(added.current_value_usd)) == ("high", "Dana AM", "12000.00")
    # the row's text is read once it has settled: its badges and small lines can be mid-render on the first read
    dash_duo.wait_for_contains_text(".renewals-table .renewal-row", "High", timeout=8)
    row = dash_duo.find_element(".renewals-table .renewal-row").text
    assert "Jan 15, 2027" in row and "High" in row and "Dana AM" in row and "$12.0K" in row

    _click(dash_duo, ".renewals-table .renewal-row button")
    dash_duo.wait_for_text_to_equal("#renewal-title", "Edit the renewal of Acme Drinks", timeout=8)
    assert dash_duo.find_element(_field("current_value_usd")).get_attribute("value") == "12000.00"
    _select(dash_duo, "status", "committed")
    _type(dash_duo, _field("proposed_value_usd"), "13,250.50")
    _click(dash_duo, "#renewal-save")
    dash_duo.wait_for_contains_text("#renewals-message", "Saved the renewal of Acme Drinks (committed", timeout=8)
    dash_duo.wait_for_contains_text(".renewals-table .renewal-row", "Committed", timeout=8)
    changes = dash_duo.find_element(".renewals-changes").text
    assert "Edited status, proposed value → committed, 2027-01-15" in changes
    assert "Added the renewal (open, 2027-01-15)" in changes and changes.count("mgr@x.com") == 2
    with session_scope(rt.db()) as s:
        (renewal,) = s.scalars(select(Renewal)).all()
        assert (renewal.status, renewal.version, str(renewal.proposed_value_usd)) == ("committed", 2, "13250.50")
        assert [e.actor for e in s.scalars(select(AuditEvent))] == ["mgr@x.com", "mgr@x.com"]
    assert dash_duo.get_logs() == []


def test_rnw102_a_viewer_reads_renewals_and_cannot_edit(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = _runtime(tmp_path)
    from data_access.renewals import check_renewal, create_renewal

    create_renewal(rt.db(), check_renewal({"customer_id": "102", "renewal_date": "2026-12-01",
                                           "current_value_usd": "1500", "risk_level": "high"}, rt.db()), "mgr@x.com")
    for metric in rt.catalog.metrics_on("renewals"):
        refresh_api_metric(metric, rt.store, rt.settings, rt.today())
    swap_runtime(rt)
    _sign_in(dash_duo, pulse_app, "viewer@x.com")
    _nav(dash_duo, "Renewals")
    dash_duo.wait_for_contains_text("#renewals-table", "Bloom Beauty", timeout=10)
    assert "$1.50K" in dash_duo.find_element(_pid("kpi-card", "renewals_due_90_days_usd")).text
    assert "$1.50K" in dash_duo.find_element(_pid("kpi-card", "at_risk_arr_usd")).text
    assert not dash_duo.find_element("#renewal-add").is_displayed()
    assert dash_duo.find_elements(".renewals-table .renewal-row button") == []
    search = dash_duo.find_element("#renewals-search")
    search.send_keys("acme", Keys.ENTER)
    dash_duo.wait_for_contains_text("#renewals-table", "No renewals match these filters.", timeout=8)

    _nav(dash_duo, "Customers")  # the at-risk panel and the customer table, paged in the database
    dash_duo.wait_for_contains_text("#customers-at-risk", "Bloom Beauty", timeout=10)
    assert "Renews in 10 days, not committed, high risk" in dash_duo.find_element("#customers-at-risk").text
    dash_duo.wait_for_text_to_equal("#customers-count", "1–4 of 4 customers", timeout=8)
    cells = [c.text for c in dash_duo.find_elements("#customers-table td[data-dash-column='name']")]
    assert cells == ["Acme Drinks", "Bloom Beauty", "Crest Foods", "Dune Co"]  # ARR, largest first
    dash_duo.find_element("#customers-search").send_keys("crest", Keys.ENTER)
    dash_duo.wait_for_text_to_equal("#customers-count", "1–1 of 1 customer", timeout=8)
    assert dash_duo.get_logs() == []


def test_rnw103_a_customer_opens_from_the_table_with_its_revenue_renewals_and_activity(dash_duo, pulse_app,
                                                                                        swap_runtime, tmp_path):
    from data_access.customers import REVENUE_FRAME
    from data_access.refresh import query_params, refresh_query
    from data_access.renewals import check_renewal, create_renewal

    rt = _runtime(tmp_path)
    params = query_params(rt.settings, rt.targets().targets, rt.today())
    assert refresh_query(rt.warehouse(), rt.store, REVENUE_FRAME, params).ok
    from data_access.health import refresh_health

    assert refresh_health(rt) == 4  # Acme 100, Bloom 41, Crest 37, Dune 0 (tests/db/test_renewals.py)
    from data_access.activity import refresh_activity

    assert refresh_activity(rt) == 6  # the known company's six invoices (tests/unit/test_activity.py)
    create_renewal(rt.db(), check_renewal({"customer_id": "102", "renewal_date": "2026-12-01",
                                           "current_value_usd": "1500", "risk_level": "high"}, rt.db()), "mgr@x.com")
    swap_runtime(rt)
    _sign_in(dash_duo, pulse_app, "viewer@x.com")
    _nav(dash_duo, "Customers")
    dash_duo.wait_for_text_to_equal("#customers-count", "1–4 of 4 customers", timeout=10)
    scores = [c.text for c in dash_duo.find_elements("#customers-table td[data-dash-column='health']")]
    assert scores == ["100", "41", "37", "0"]  # ARR order
    assert "Bloom Beauty" in dash_duo.find_element("#customers-at-risk-health").text  # poor health
    link = dash_duo.find_element("#customers-table td[data-dash-column='name'] a[href='/customers/102']")
    assert link.text == "Bloom Beauty"
    link.click()
    dash_duo.wait_for_text_to_equal(".customer-name", "Bloom Beauty", timeout=10)
    assert "/customers/102" in dash_duo.driver.current_url
    assert dash_duo.find_element(".customer-facts").text == "Beauty · No owner"
    assert "41 / 100" in dash_duo.find_element(".customer-stat-health").text
    assert "Poor" in dash_duo.find_element(".customer-stat-health").text
    dash_duo.wait_for_element(".customer-health-chart", timeout=8)
    assert "$1.50K" in dash_duo.find_element(".customer-stat-arr").text
    assert "$1.50K" in dash_duo.find_element(".customer-stat-ytd").text  # 1,100 in March + 400 in October
    assert "Dec 1, 2026" in dash_duo.find_element(".customer-stat-renewal").text
    assert "High" in dash_duo.find_element(".renewals-table .renewal-row").text
    timeline = [r.text for r in dash_duo.find_elements(".customer-timeline .timeline-item")]
    assert "Added the renewal (open, 2026-12-01)" in timeline[0] and "mgr@x.com" in timeline[0]  # newest first
    assert len(timeline) == 3 and timeline[1].startswith("Oct 15, 2026") and timeline[2].startswith("Mar 5, 2026")
    assert "Invoice 11" in timeline[1] and "$400" in timeline[1] and "Invoice 3" in timeline[2] and "$1.10K" in timeline[2]
    dash_duo.driver.get(dash_duo.server.url + "/customers/999")
    dash_duo.wait_for_contains_text(".customer-missing", "No customer with this id.", timeout=10)
    assert dash_duo.get_logs() == []


def test_rnw104_hostile_customer_names_render_as_text_in_the_table_and_on_their_page(dash_duo, pulse_app,
                                                                                    swap_runtime, tmp_path):
    from data_access.db import CustomerProfile
    from tests.fixtures import evil_company as evil

    rt = _runtime(tmp_path)
    names = {"101": evil.IMG, "102": evil.LINK, "103": "[x](javascript:window.__xss=5) *bold* \\_", "104": evil.SCRIPT}
    with session_scope(rt.db()) as s:
        for cid, name in names.items():
            s.get(CustomerProfile, cid).name = name
    swap_runtime(rt)
    _sign_in(dash_duo, pulse_app, "viewer@x.com")
    _nav(dash_duo, "Customers")
    dash_duo.wait_for_text_to_equal("#customers-count", "1–4 of 4 customers", timeout=10)
    links = dash_duo.find_elements("#customers-table td[data-dash-column='name'] a")
    assert {a.get_attribute("href").rsplit("/", 1)[1]: a.text for a in links} == names  # the text, as it is
    assert dash_duo.find_elements("#customers-table td img, #customers-table td script, #customers-table td em") == []
    links[0].click()
    dash_duo.wait_for_text_to_equal(".customer-name", evil.IMG, timeout=10)
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    assert dash_duo.get_logs() == []


def _profile_field(name: str) -> str:
    return "[id='" + json.dumps({"field": name, "type": "customer-profile-field"}, separators=(",", ":"),
                                sort_keys=True) + "']"


def test_rnw105_a_manager_edits_a_customers_tier_and_contract_end_and_the_table_shows_them(dash_duo, pulse_app,
                                                                                          swap_runtime, tmp_path):
    from data_access.db import CustomerProfile

    rt = _runtime(tmp_path)
    swap_runtime(rt)
    _sign_in(dash_duo, pulse_app, "mgr@x.com")
    dash_duo.driver.get(dash_duo.server.url + "/customers/103")
    dash_duo.wait_for_text_to_equal(".customer-name", "Crest Foods", timeout=10)
    _click(dash_duo, "#customer-profile-edit")
    dash_duo.wait_for_element(_profile_field("tier"), timeout=8)
    _type(dash_duo, _profile_field("tier"), "Enterprise")
    dash_duo.find_element(_profile_field("contract_end")).send_keys("01312027")  # en-US month/day/year
    _type(dash_duo, _profile_field("notes"), "Champion left in October")
    _click(dash_duo, "#customer-profile-save")
    dash_duo.wait_for_contains_text(".customer-facts", "Tier Enterprise", timeout=8)
    assert "Contract ends Jan 31, 2027" in dash_duo.find_element(".customer-facts").text
    assert dash_duo.find_element(".customer-notes").text == "Champion left in October"
    with session_scope(rt.db()) as s:
        p = s.get(CustomerProfile, "103")
        assert (p.tier, p.contract_end.isoformat(), p.version) == ("Enterprise", "2027-01-31", 2)
        assert s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "customer_profile")).one().actor == \
            "mgr@x.com"
    _nav(dash_duo, "Customers")
    dash_duo.wait_for_text_to_equal("#customers-count", "1–4 of 4 customers", timeout=10)
    row = dash_duo.find_element("#customers-table tr:has(a[href='/customers/103'])").text
    assert "Enterprise" in row and "Jan 31, 2027" in row
    assert dash_duo.get_logs() == []


def test_rnw106_a_viewer_has_no_edit_profile_button(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = _runtime(tmp_path)
    swap_runtime(rt)
    _sign_in(dash_duo, pulse_app, "viewer@x.com")
    dash_duo.driver.get(dash_duo.server.url + "/customers/103")
    dash_duo.wait_for_text_to_equal(".customer-name", "Crest Foods", timeout=10)
    assert not dash_duo.find_element("#customer-profile-edit").is_displayed()
    assert dash_duo.get_logs() == []
