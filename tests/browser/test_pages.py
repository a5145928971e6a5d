"""Every page of the navbar, every card's drill-down: a walk in headless Chromium on the known company."""
from __future__ import annotations

import time

from data_access.runtime import get_runtime

CARD = '[id*="kpi-card"][id*="{metric}"]'


def _wait(predicate, timeout=10, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_pg001_every_page_and_every_drilldown_opens_from_the_navbar(dash_duo, pulse_app):
    catalog = get_runtime().catalog
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(pulse_app)
    dash_duo.wait_for_element(".kpi-card", timeout=10)
    links = {a.text: a.get_attribute("href") for a in dash_duo.find_elements(".pulse-navbar .nav-link")}
    assert [p.title for p in catalog.pages.values()] == [t for t in links if t not in ("Settings", "Status")]
    opened = 0
    for page_id, page in catalog.pages.items():
        dash_duo.find_element(f".pulse-navbar .nav-link[href='{page.path}']").click()
        dash_duo.wait_for_text_to_equal(".page-title", page.title, timeout=10)
        metrics = catalog.metrics_on(page_id)
        _wait(lambda: len(dash_duo.find_elements(".kpi-card")) == len(metrics), what=f"{page_id} cards")
        for metric in metrics:
            dash_duo.find_element(CARD.format(metric=metric.id)).click()
            dash_duo.wait_for_contains_text("#drilldown-header", metric.title, timeout=10)
            _wait(lambda: [t.text for t in dash_duo.find_elements("#drilldown-tabs .nav-link")]
                  == [v.title for v in metric.views], what=f"{metric.id} tabs")
            # the first view: its table, or an honest "No data for this period"
            _wait(lambda: dash_duo.find_elements("#drilldown-body .dash-spreadsheet")
                  or dash_duo.find_elements("#drilldown-body .no-data"), what=f"{metric.id} body")
            assert metric.id in dash_duo.driver.current_url
            dash_duo.find_element("#drilldown-modal .btn-close").click()
            dash_duo.wait_for_no_elements(".modal-backdrop", timeout=10)
            opened += 1
    assert opened == sum(len(catalog.metrics_on(p)) for p in catalog.pages)  # 30 cards on 5 pages today
    assert dash_duo.get_logs() == []


def test_pg003_phone_width_folds_the_navbar_and_stacks_the_cards(dash_duo, pulse_app):
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.start_server(pulse_app)
    dash_duo.wait_for_element(".kpi-card", timeout=10)
    toggler = dash_duo.find_element(".pulse-navbar .navbar-toggler")
    assert toggler.is_displayed()
    assert not any(a.is_displayed() for a in dash_duo.find_elements(".pulse-navbar .nav-link"))  # folded
    toggler.click()
    _wait(lambda: all(a.is_displayed() for a in dash_duo.find_elements(".pulse-navbar .nav-link")), what="menu open")
    dash_duo.find_element(".pulse-navbar .nav-link[href='/sales']").click()
    dash_duo.wait_for_text_to_equal(".page-title", "Sales", timeout=10)
    _wait(lambda: len(dash_duo.find_elements(".kpi-card")) >= 2, what="sales cards")
    cards = dash_duo.find_elements(".kpi-card")
    lefts = {c.location["x"] for c in cards}
    assert len(lefts) == 1  # one column: every card starts at the same x
    assert all(c.size["width"] > 300 for c in cards)
    scroll, inner = dash_duo.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner  # no sideways scrolling
    assert dash_duo.get_logs() == []
