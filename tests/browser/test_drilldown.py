"""Drill-down behaviour in headless Chromium: drill deeper and back, shared URLs, Back, CSV export."""
from __future__ import annotations

import csv
import time
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains

CARD = '[id*="kpi-card"][id*="{metric}"]'


def _start(dash_duo, app, path="/"):
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(app)
    if path != "/":
        dash_duo.driver.get(dash_duo.server_url + path)


def _wait_url(dash_duo, fragment, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and fragment not in dash_duo.driver.current_url:
        time.sleep(0.1)
    assert fragment in dash_duo.driver.current_url, dash_duo.driver.current_url


def test_dd101_drill_from_rep_bar_into_deals_and_back_by_breadcrumb(dash_duo, pulse_app):
    _start(dash_duo, pulse_app, "/?metric=pipeline_coverage&view=pipeline_by_rep_stage")
    dash_duo.wait_for_contains_text("#drilldown-header", "Pipeline Coverage", timeout=10)
    dash_duo.wait_for_element("#drilldown-body .js-plotly-plot .bars .point path", timeout=10)
    # the fixture's reps: Ana Lopez (Deal 1, $10,000; Deal 14 has no close date), Ben Kim (Deal 2), Unassigned (Deal 10)
    bars = sorted(dash_duo.find_elements("#drilldown-body .js-plotly-plot .bars .point path"),
                  key=lambda b: b.size["height"], reverse=True)
    ActionChains(dash_duo.driver).move_to_element(bars[0]).click().perform()  # the tallest: Ana Lopez
    dash_duo.wait_for_contains_text("#drilldown-breadcrumb", "Open deals: Ana Lopez", timeout=10)
    dash_duo.wait_for_text_to_equal(".drilldown-totals", "2 rows · Amount (USD) $13.5K · Weighted (USD) $6.75K",
                                    timeout=10)
    _wait_url(dash_duo, "view=open_deals&rep=11")
    dash_duo.find_element(".crumb-link").click()  # back to By rep and stage, unfiltered
    dash_duo.wait_for_contains_text(".drilldown-totals", "3 rows", timeout=10)
    assert dash_duo.find_elements("#drilldown-breadcrumb .crumb-link") == []
    _wait_url(dash_duo, "view=pipeline_by_rep_stage")
    assert dash_duo.get_logs() == []


def test_dd102_shared_url_restores_filters_and_back_closes(dash_duo, pulse_app):
    _start(dash_duo, pulse_app)
    dash_duo.wait_for_element(CARD.format(metric="revenue_ytd"), timeout=10)
    # a colleague's link: revenue by customer for Oct–Nov 2026
    dash_duo.driver.get(dash_duo.server_url + "/?metric=revenue_ytd&view=revenue_by_customer&start=2026-10&end=2026-11")
    dash_duo.wait_for_contains_text("#drilldown-header", "Revenue YTD", timeout=10)
    dash_duo.wait_for_contains_text(".drilldown-totals", "3 rows · Revenue (USD) $2.70K", timeout=10)
    dash_duo.driver.back()  # Back leaves the drill-down: the page without a modal
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and dash_duo.find_elements(".modal-backdrop"):
        time.sleep(0.2)
    assert dash_duo.find_elements(".modal-backdrop") == []
    assert "metric=" not in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_dd103_csv_download_has_the_filtered_rows(dash_duo, pulse_app):
    _start(dash_duo, pulse_app, "/?metric=pipeline_coverage&view=open_deals&rep=11")
    dash_duo.wait_for_text_to_equal(".drilldown-totals", "2 rows · Amount (USD) $13.5K · Weighted (USD) $6.75K",
                                    timeout=10)
    dash_duo.find_element("#export-csv").click()
    name = "pipeline_coverage__open_deals__rep-11__as-of-2026-11-21.csv"
    path = Path(dash_duo.download_path) / name
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not path.exists():
        time.sleep(0.2)
    rows = list(csv.DictReader(path.open()))
    assert [(r["deal_name"], float(r["amount_usd"]), r["owner_name"]) for r in rows] == [("Deal 1", 10000.0, "Ana Lopez"),
                                                                                        ("Deal 14", 3500.0, "Ana Lopez")]
    assert dash_duo.get_logs() == []


def test_dd104_sorting_a_column_reorders_the_whole_view_on_the_server(dash_duo, pulse_app):
    _start(dash_duo, pulse_app, "/?metric=pipeline_coverage&view=open_deals")
    dash_duo.wait_for_contains_text(".drilldown-totals", "5 rows", timeout=10)

    def names():
        return [c.text for c in dash_duo.find_elements("#drilldown-body td[data-dash-column='deal_name']")]

    def wait_names(expected, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and names() != expected:
            time.sleep(0.1)
        assert names() == expected

    header = dash_duo.find_element("#drilldown-body th[data-dash-column='amount_usd'] .column-header--sort")
    header.click()  # ascending: $2,500 · $3,500 · $4,000 · $5,000 · $10,000
    wait_names(["Deal 13", "Deal 14", "Deal 10", "Deal 2", "Deal 1"])
    dash_duo.find_element("#drilldown-body th[data-dash-column='amount_usd'] .column-header--sort").click()
    wait_names(["Deal 1", "Deal 2", "Deal 10", "Deal 14", "Deal 13"])  # descending
    assert dash_duo.get_logs() == []


def test_dd105_unassigned_rep_filter_fitting_table_and_unfiltered_value_said(dash_duo, pulse_app):
    _start(dash_duo, pulse_app, "/?metric=pipeline_coverage&view=open_deals")
    dash_duo.wait_for_contains_text(".drilldown-totals", "5 rows", timeout=10)
    assert dash_duo.find_element("#drilldown-scope").text == ""  # unfiltered: nothing to say
    # the table fits the 1440-px modal: no sideways scroll, every header whole
    widths = dash_duo.driver.execute_script(
        "const c = document.querySelector('#drilldown-body .dash-spreadsheet-container');"
        "return [c.scrollWidth, c.clientWidth];")
    assert widths[0] <= widths[1], widths
    assert "Close date" in dash_duo.find_element("#drilldown-body th[data-dash-column='close_date']").text
    # the chart shows the rep "Unassigned" (Deal 10): the rep filter offers it
    dash_duo.driver.get(dash_duo.server_url + "/?metric=pipeline_coverage&view=open_deals&rep=-1")
    dash_duo.wait_for_text_to_equal(".drilldown-totals", "1 row · Amount (USD) $4.00K · Weighted (USD) $800",
                                    timeout=10)
    assert [c.text for c in dash_duo.find_elements("#drilldown-body td[data-dash-column='deal_name']")] == ["Deal 10"]
    dash_duo.wait_for_contains_text("#filter-rep", "Unassigned", timeout=10)
    dash_duo.wait_for_contains_text("#drilldown-scope", "unfiltered total", timeout=10)
    dash_duo.wait_for_contains_text("#filter-month-hint", "Months with data:", timeout=10)
    assert dash_duo.get_logs() == []
