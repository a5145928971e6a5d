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
    assert [p.title for p in catalog.pages.values()] == [t for t in links if t not in ("Customers", "Settings", "Alerts", "Status")]
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


def test_pg004_dark_mode_is_remembered_and_charts_follow_and_the_page_exports(dash_duo, pulse_app):
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(pulse_app)
    dash_duo.wait_for_element(".kpi-card", timeout=10)

    def theme():
        return dash_duo.driver.execute_script("return document.documentElement.getAttribute('data-bs-theme')")

    assert theme() == "light" and dash_duo.find_element("#theme-toggle").text == "☾ Dark"
    dash_duo.find_element("#theme-toggle").click()
    _wait(lambda: theme() == "dark", what="dark theme")
    assert dash_duo.find_element("#theme-toggle").text == "☀ Light"
    background = dash_duo.driver.execute_script(
        "return getComputedStyle(document.querySelector('.kpi-card')).backgroundColor")
    assert background == "rgb(17, 24, 39)", background  # the cards' dark surface
    dash_duo.driver.get(dash_duo.server_url + "/?metric=win_rate&view=win_rate_by_rep")  # remembered on a reload
    _wait(lambda: theme() == "dark", what="dark after reload")

    def paper():
        return dash_duo.driver.execute_script(
            "const g = document.querySelector('#drilldown-body .js-plotly-plot');"
            "return g && g._fullLayout ? g._fullLayout.paper_bgcolor : null")

    _wait(lambda: paper() == "#111827", what="a dark chart")
    dash_duo.find_element("#drilldown-modal .btn-close").click()
    _wait(lambda: not dash_duo.find_elements(".modal-backdrop"), what="modal closed")

    # Export page: the browser's print dialog, with a print stylesheet that hides the navbar and buttons
    dash_duo.driver.execute_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    dash_duo.find_element(".pulse-page-export").click()
    _wait(lambda: dash_duo.driver.execute_script("return window.__printed") == 1, what="print dialog")
    hidden = dash_duo.driver.execute_script("""
        const out = [];
        for (const sheet of document.styleSheets) {
          let rules; try { rules = sheet.cssRules; } catch (e) { continue; }
          for (const r of rules) {
            if (r.media && r.media.mediaText === 'print') { out.push(...[...r.cssRules].map(x => x.cssText)); }
          }
        }
        return out.join(' ');""")
    assert ".pulse-navbar" in hidden and ".pulse-page-export" in hidden and "display: none" in hidden
    assert dash_duo.get_logs() == []
