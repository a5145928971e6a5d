"""Hostile names in headless Chromium: HTML/JS in deal, company, customer and owner names render as
text in cards, tables, dropdowns and chart hovers, and nothing runs."""
from __future__ import annotations

import datetime as dt

from selenium.webdriver.common.action_chains import ActionChains

from tests.fixtures import evil_company as evil

CARD = "[id='{{\"metric\":\"{metric}\",\"type\":\"kpi-card\"}}']"
PROBE = ("return {xss: window.__xss === undefined ? null : window.__xss,"
         " imgs: document.querySelectorAll('img[src=\"x\"]').length,"
         " scripts: Array.from(document.querySelectorAll('script:not([type=\"application/json\"])'))"
         ".filter(s => s.textContent.includes('__xss')).length,"
         " svgs: document.querySelectorAll('svg[onload]').length,"
         " links: document.querySelectorAll('a[href^=\"javascript\"]').length}")
CLEAN = {"xss": None, "imgs": 0, "scripts": 0, "svgs": 0, "links": 0}


def _hover_bars(dash_duo):
    """Hover every bar of the drill-down chart (plotly draws its hover label then)."""
    labels = []
    for bar in dash_duo.find_elements("#drilldown-body .js-plotly-plot .bars path"):
        ActionChains(dash_duo.driver).move_to_element(bar).perform()
        labels += [e.text for e in dash_duo.find_elements(".hoverlayer .hovertext")]
    return labels


def test_xsb001_hostile_names_render_as_text(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = evil.evil_runtime(tmp_path)
    # a failed refresh whose error text is markup: the card shows it as text
    rt.store.put_outcome("company_health/win_rate", {
        "ok": False, "error_class": evil.IMG, "error": evil.SCRIPT,
        "attempted_at": dt.datetime(2026, 11, 21, 12, tzinfo=dt.timezone.utc).isoformat()})
    swap_runtime(rt)
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(pulse_app)
    dash_duo.wait_for_element(CARD.format(metric="win_rate"), timeout=10)
    dash_duo.wait_for_contains_text(CARD.format(metric="win_rate"), "Last refresh failed", timeout=10)
    assert evil.IMG in dash_duo.find_element(CARD.format(metric="win_rate") + " .kpi-failure").text

    # open deals: deal names, owners and companies in the table, the rep dropdown and the chart
    dash_duo.find_element(CARD.format(metric="pipeline_coverage")).click()
    dash_duo.wait_for_contains_text("#drilldown-header", "Pipeline Coverage", timeout=8)
    tabs = dash_duo.find_elements("#drilldown-tabs .nav-link")
    next(t for t in tabs if t.text == "Open deals").click()
    dash_duo.wait_for_contains_text("#drilldown-body .dash-spreadsheet", "calc", timeout=10)
    table = dash_duo.find_element("#drilldown-body .dash-spreadsheet").text
    assert evil.IMG in table and evil.PLUS in table and evil.SCRIPT in table
    labels = _hover_bars(dash_duo)
    assert labels, "no hover label appeared"
    dash_duo.find_element("#filter-rep").click()  # the options list shows owner names
    dash_duo.wait_for_element('[role="option"]', timeout=8)
    options = [o.text for o in dash_duo.find_elements('[role="option"]')]
    assert evil.OWNER_11 in options and evil.OWNER_12 in options
    assert dash_duo.driver.execute_script(PROBE) == CLEAN
    ActionChains(dash_duo.driver).send_keys("\ue00c").perform()  # Escape closes the list

    # by rep and stage: owner names on the axis and in the hovers
    next(t for t in dash_duo.find_elements("#drilldown-tabs .nav-link") if t.text == "By rep and stage").click()
    dash_duo.wait_for_contains_text("#drilldown-body .dash-spreadsheet", "Lopez", timeout=10)
    assert evil.OWNER_11 in dash_duo.find_element("#drilldown-body .dash-spreadsheet").text
    _hover_bars(dash_duo)
    assert dash_duo.driver.execute_script(PROBE) == CLEAN

    # customers (revenue by customer) and segments
    dash_duo.find_element("#drilldown-modal .btn-close").click()
    dash_duo.wait_for_no_elements(".modal-backdrop", timeout=5)
    dash_duo.find_element(CARD.format(metric="revenue_ytd")).click()
    dash_duo.wait_for_contains_text("#drilldown-body .dash-spreadsheet", "HYPERLINK", timeout=10)
    text = dash_duo.find_element("#drilldown-body .dash-spreadsheet").text
    assert evil.SVG in text and evil.FORMULA in text
    _hover_bars(dash_duo)
    next(t for t in dash_duo.find_elements("#drilldown-tabs .nav-link") if t.text == "By segment").click()
    dash_duo.wait_for_contains_text("#drilldown-body .dash-spreadsheet", "javascript", timeout=10)
    _hover_bars(dash_duo)
    assert dash_duo.driver.execute_script(PROBE) == CLEAN

    # the status page shows the failure's error text as text too
    dash_duo.find_element("#drilldown-modal .btn-close").click()
    dash_duo.wait_for_no_elements(".modal-backdrop", timeout=5)
    next(a for a in dash_duo.find_elements(".pulse-navbar .nav-link") if a.text == "Status").click()
    dash_duo.wait_for_contains_text("#status-body", evil.SCRIPT, timeout=10)
    assert dash_duo.driver.execute_script(PROBE) == CLEAN
    assert dash_duo.get_logs() == []  # a rendered <img src=x> would have logged a failed load
