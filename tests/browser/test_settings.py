"""Settings in headless Chromium: an admin changes a target and the card changes colour, and a rep's quota
reaches Coverage by rep; a viewer signed in with a password sees no Settings and no admin actions."""
from __future__ import annotations

import json
import time

from selenium.webdriver.common.keys import Keys

from data_access.target_store import audit_path
from tests.conftest import known_runtime
from tests.fixtures.auth_files import PASSWORDS, auth_runtime, refresh_page



def _pid(kind: str, metric: str) -> str:
    """CSS selector of a pattern-matching id (Dash writes it as JSON with sorted keys)."""
    return "[id='" + json.dumps({"metric": metric, "type": kind}, separators=(",", ":"), sort_keys=True) + "']"


WIN_CARD = _pid("kpi-card", "win_rate") + " .kpi-card"
WIN_TARGET = _pid("settings-target", "win_rate")
WIN_HINT = _pid("settings-hint", "win_rate")


def _nav(dash_duo, name):
    link = next(a for a in dash_duo.find_elements(".pulse-navbar .nav-link") if a.text == name)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView(); arguments[0].click();", link)


def _click(dash_duo, selector):
    """Click a button below the fold (the page grows while hints render, so a scripted click)."""
    el = dash_duo.find_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", el)


def _type(dash_duo, selector, value):
    box = dash_duo.find_element(selector)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(value)


def _tab(dash_duo, label):
    """Open a Settings section (Targets, Revenue plan, Sales quotas, Rep targets, Alert rules, Change history)."""
    link = next(a for a in dash_duo.find_elements(".settings-tabs .nav-link") if a.text == label)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", link)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and "active" not in link.get_attribute("class"):
        time.sleep(0.1)
    assert "active" in link.get_attribute("class"), label


def _local_admin(dash_duo, app, swap_runtime, tmp_path):
    """The app in local mode (one admin) on a refreshed hand-built company, Company Health on screen."""
    rt = known_runtime(tmp_path)
    refresh_page(rt)
    swap_runtime(rt)
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal("#auth-badge", "local mode — no sign-in", timeout=10)
    dash_duo.wait_for_element(WIN_CARD, timeout=10)
    return rt


def test_set001_admin_changes_a_target_and_the_card_turns_red(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = _local_admin(dash_duo, pulse_app, swap_runtime, tmp_path)
    assert "kpi-green" in dash_duo.find_element(WIN_CARD).get_attribute("class")  # 66.7 % ≥ 30 %

    _nav(dash_duo, "Settings")
    dash_duo.wait_for_element(WIN_TARGET, timeout=10)
    assert dash_duo.find_element(WIN_TARGET).get_attribute("value") == "30"
    dash_duo.wait_for_text_to_equal(WIN_HINT, "Green ≥ 30.0% · yellow 25.5%–30.0% · red below 25.5%", timeout=8)
    # money is a text field with thousands separators: the monthly plan of 2,000 USD reads "2,000"
    plan_target = dash_duo.find_element(_pid("settings-target", "revenue_ytd"))
    assert plan_target.get_attribute("type") == "text"
    assert plan_target.get_attribute("value") == f"{rt.targets().targets.revenue_plan.monthly_usd:,.0f}"

    # inline validation: a percentage above 100 is refused before anything is sent
    _type(dash_duo, WIN_TARGET, "130")
    dash_duo.wait_for_text_to_equal(WIN_HINT, "A percentage between 0 and 100.", timeout=8)
    assert "is-invalid" in dash_duo.find_element(WIN_TARGET).get_attribute("class")
    assert dash_duo.find_element("#settings-save").get_attribute("disabled") is not None

    _type(dash_duo, WIN_TARGET, "90")
    dash_duo.wait_for_text_to_equal(WIN_HINT, "Green ≥ 90.0% · yellow 76.5%–90.0% · red below 76.5%", timeout=8)
    dash_duo.wait_for_element("#settings-save:not([disabled])", timeout=8)
    _click(dash_duo, "#settings-save")
    dash_duo.wait_for_text_to_equal(
        ".settings-saved", "Saved 1 change (Win Rate (90 days)), applying from November 2026.", timeout=10)
    assert [a.text for a in dash_duo.find_elements(".settings-tabs .nav-link")] == [
        "Targets", "Revenue plan", "Sales quotas", "Rep targets", "Pipeline scenarios", "Support SLA", "Company health", "Customer health", "Alert rules", "Playbooks", "Change history"]  # a section at a time
    _tab(dash_duo, "Change history")
    dash_duo.wait_for_contains_text("#settings-history", "target 30.0% → 90.0%", timeout=8)
    assert "local admin" in dash_duo.find_element("#settings-history").text
    audit = [json.loads(x) for x in audit_path(rt.settings.targets_path).read_text().splitlines()]
    assert [(a["metric"], a["old"], a["new"]) for a in audit] == [("win_rate", {"target": 0.3}, {"target": 0.9})]

    _nav(dash_duo, "Company Health")
    dash_duo.wait_for_element(WIN_CARD, timeout=10)
    card = dash_duo.find_element(WIN_CARD)
    assert "kpi-red" in card.get_attribute("class")  # 66.7 % < 76.5 %
    assert "Target ≥ 90.0%" in card.text and "Off target" in card.text
    assert dash_duo.get_logs() == []


def _sign_in(dash_duo, app, email):
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(app, navigate=False)
    dash_duo.driver.get(dash_duo.server.url + "/")  # → /login?next=/
    dash_duo.wait_for_element("#email", timeout=10)
    assert "/login" in dash_duo.driver.current_url
    dash_duo.find_element("#email").send_keys(email)
    dash_duo.find_element("#password").send_keys(PASSWORDS[email])
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_text_to_equal(".page-title", "Company Health", timeout=15)


def test_set002_a_viewer_sees_no_settings_and_no_admin_actions(dash_duo, pulse_app, swap_runtime, tmp_path):
    swap_runtime(auth_runtime(tmp_path, "password", refresh=True))
    _sign_in(dash_duo, pulse_app, "viewer@x.com")
    dash_duo.wait_for_contains_text("#auth-user", "viewer@x.com", timeout=8)
    assert "Viewer" in dash_duo.find_element("#auth-user").text
    links = [a.text for a in dash_duo.find_elements(".pulse-navbar .nav-link")]
    assert "Company Health" in links and "Settings" not in links

    # the drill-down has no "Refresh now" for a viewer
    dash_duo.find_element(_pid("kpi-card", "win_rate")).click()
    dash_duo.wait_for_contains_text("#drilldown-header", "Win Rate", timeout=8)
    assert not dash_duo.find_element("#refresh-now").is_displayed()

    # typing the address does not help
    dash_duo.driver.get(dash_duo.server.url + "/settings")
    dash_duo.wait_for_text_to_equal(".settings-denied", "Settings are for admins. Ask an admin to change a target.",
                                    timeout=10)
    assert dash_duo.find_elements('[id*="settings-target"]') == []
    assert dash_duo.get_logs() == []

    # signing out ends the session
    dash_duo.find_element("#auth-signout").click()
    dash_duo.wait_for_element("#login-submit", timeout=10)
    dash_duo.driver.get(dash_duo.server.url + "/api/metrics")
    assert '{"error":"Sign-in required."}' in dash_duo.driver.page_source


def test_set003_an_admin_signed_in_sees_settings(dash_duo, pulse_app, swap_runtime, tmp_path):
    swap_runtime(auth_runtime(tmp_path, "password", refresh=True))
    _sign_in(dash_duo, pulse_app, "admin@x.com")
    links = [a.text for a in dash_duo.find_elements(".pulse-navbar .nav-link")]
    assert "Settings" in links
    _nav(dash_duo, "Settings")
    dash_duo.wait_for_element(WIN_TARGET, timeout=10)
    assert dash_duo.find_element(WIN_TARGET).get_attribute("value") == "30"
    assert dash_duo.get_logs() == []


def test_set004_admin_sets_a_reps_quota_and_coverage_by_rep_uses_it(dash_duo, pulse_app, swap_runtime, tmp_path):
    _local_admin(dash_duo, pulse_app, swap_runtime, tmp_path)
    _nav(dash_duo, "Settings")
    ana = "[id='" + json.dumps({"owner": "11", "type": "settings-quota"}, separators=(",", ":")) + "']"
    dash_duo.wait_for_element(ana, timeout=10)
    _tab(dash_duo, "Sales quotas")
    assert "no quota" in dash_duo.find_element("#settings-quota-11").text  # the row of Ana Lopez
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", dash_duo.find_element(ana))
    _type(dash_duo, ana, "-5")
    dash_duo.wait_for_contains_text("#settings-quota-11", "Money can't be negative.", timeout=8)
    assert dash_duo.find_element("#settings-quotas-save").get_attribute("disabled") is not None
    _type(dash_duo, ana, "4.000,00")  # not how en_US writes it: refused, not read as 4
    dash_duo.wait_for_contains_text("#settings-quota-11", "Not an amount", timeout=8)
    assert dash_duo.find_element("#settings-quotas-save").get_attribute("disabled") is not None
    _type(dash_duo, ana, "$4,000")
    dash_duo.wait_for_element("#settings-quotas-save:not([disabled])", timeout=8)
    _click(dash_duo, "#settings-quotas-save")
    dash_duo.wait_for_text_to_equal("#settings-quotas-message .settings-saved",
                                    "Saved 1 quota change, applying from November 2026.", timeout=10)
    dash_duo.wait_for_contains_text("#settings-quota-11", "$4.00K a quarter", timeout=8)
    dash_duo.wait_for_text_to_equal(ana, "4,000", timeout=8)  # the saved quota shown with separators
    _tab(dash_duo, "Change history")
    dash_duo.wait_for_contains_text("#settings-history", "quota of Ana Lopez none → $4.00K", timeout=8)

    dash_duo.driver.get(dash_duo.server_url + "/?metric=pipeline_coverage&view=coverage_by_rep")
    dash_duo.wait_for_contains_text("#drilldown-header", "Pipeline Coverage", timeout=10)
    dash_duo.wait_for_contains_text("#drilldown-body .dash-spreadsheet", "Ana Lopez", timeout=10)
    row = next(r for r in dash_duo.find_elements("#drilldown-body .dash-spreadsheet tbody tr") if "Ana Lopez" in r.text)
    assert "4,000" in row.text or "4.00K" in row.text, row.text
    assert dash_duo.get_logs() == []


def test_set005_admin_sets_a_months_plan_and_revenue_ytds_target_follows(dash_duo, pulse_app, swap_runtime, tmp_path):
    from components import formatting

    rt = _local_admin(dash_duo, pulse_app, swap_runtime, tmp_path)
    revenue_card = _pid("kpi-card", "revenue_ytd") + " .kpi-card"
    plan = rt.targets().targets.revenue_plan
    before = formatting.target_text(plan.ytd_usd(rt.today()), "usd", "higher")
    assert before in dash_duo.find_element(revenue_card).text
    _nav(dash_duo, "Settings")
    nov = "[id='" + json.dumps({"month": "2026-11", "type": "settings-plan-month"}, separators=(",", ":")) + "']"
    dash_duo.wait_for_element(nov, timeout=10)
    _tab(dash_duo, "Revenue plan")
    assert "(monthly plan)" in dash_duo.find_element("#settings-plan-2026-11").text
    assert len(dash_duo.find_elements("#settings-plan tbody tr")) == 12
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", dash_duo.find_element(nov))
    _type(dash_duo, nov, "-1")
    dash_duo.wait_for_contains_text("#settings-plan-2026-11", "Money can't be negative.", timeout=8)
    assert dash_duo.find_element("#settings-plan-save").get_attribute("disabled") is not None
    new_usd = 3 * plan.monthly_usd
    _type(dash_duo, nov, f"{new_usd:,.0f}")  # typed with separators
    dash_duo.wait_for_element("#settings-plan-save:not([disabled])", timeout=8)
    _click(dash_duo, "#settings-plan-save")
    dash_duo.wait_for_contains_text("#settings-plan-message .settings-saved",
                                    "Saved the plan for 1 month (Nov 2026), applying from November 2026.", timeout=10)
    dash_duo.wait_for_contains_text("#settings-plan-2026-11", "(set for this month)", timeout=8)
    dash_duo.wait_for_text_to_equal(nov, f"{new_usd:,.0f}", timeout=8)
    _tab(dash_duo, "Change history")
    dash_duo.wait_for_contains_text("#settings-history", f"plan for Nov 2026 {formatting.usd(plan.monthly_usd)} → "
                                    f"{formatting.usd(new_usd)}", timeout=8)

    after = rt.targets().targets.revenue_plan
    assert after.month_usd(2026, 11) == new_usd
    _nav(dash_duo, "Company Health")
    dash_duo.wait_for_contains_text(revenue_card, formatting.target_text(after.ytd_usd(rt.today()), "usd", "higher"),
                                    timeout=10)
    assert dash_duo.get_logs() == []


def test_set006_admin_sets_a_support_sla_target(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = _local_admin(dash_duo, pulse_app, swap_runtime, tmp_path)
    _nav(dash_duo, "Settings")
    high = "[id='" + json.dumps({"part": "first_reply_hours", "priority": "high", "type": "settings-sla-field"},
                                separators=(",", ":")) + "']"
    dash_duo.wait_for_element(high, timeout=10)
    _tab(dash_duo, "Support SLA")
    rows = [r.text for r in dash_duo.find_elements(".settings-sla-table tbody tr")]
    assert [r.split("\n")[0] for r in rows] == ["Urgent", "High", "Normal", "Low"]
    assert dash_duo.find_element(high).get_attribute("value") == "2"
    _type(dash_duo, high, "30")  # longer than high's 24 h resolution
    _click(dash_duo, "#settings-sla-save")
    dash_duo.wait_for_contains_text("#settings-sla-message", "High: the resolution target (24 h) is shorter than "
                                    "the first reply target (30 h).", timeout=10)
    assert rt.targets().targets.support_sla_targets.high.first_reply_hours == 2
    _type(dash_duo, high, "2.5")
    _click(dash_duo, "#settings-sla-save")
    dash_duo.wait_for_contains_text("#settings-sla-message .settings-saved", "Saved the support SLA targets.",
                                    timeout=10)
    assert rt.targets().targets.support_sla_targets.high.first_reply_hours == 2.5
    _tab(dash_duo, "Change history")
    dash_duo.wait_for_contains_text("#settings-history", "high first reply 2 h → 2.5 h", timeout=8)
    assert dash_duo.get_logs() == []
