"""Company Health in headless Chromium: cards, tooltips, drill-down modals, rep filter."""
from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

CARD = '[id*="kpi-card"][id*="{metric}"]'


def _start(dash_duo, app):
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(app)


def _card(dash_duo, metric):
    return dash_duo.find_element(CARD.format(metric=metric))


def _table_text(dash_duo):
    dash_duo.wait_for_element("#drilldown-body .dash-spreadsheet", timeout=8)
    return dash_duo.find_element("#drilldown-body .dash-spreadsheet").text


def test_kpi001_page_renders_every_card_with_values(dash_duo, pulse_app):
    _start(dash_duo, pulse_app)
    dash_duo.wait_for_text_to_equal(".page-title", "Company Health", timeout=10)
    cards = dash_duo.find_elements(".kpi-card")
    assert len(cards) == 12  # 9 + time to fulfill, churned customers and the health score
    assert "Not connected" in _card(dash_duo, "cash_position").text
    assert "PULSE_SIMPLEFIN_ACCESS_URL" in _card(dash_duo, "cash_position").text
    assert "$5.30K" in _card(dash_duo, "revenue_ytd").text
    assert "5.8×" in _card(dash_duo, "pipeline_coverage").text  # 19,000 ÷ (6,000 − 2,700)
    assert "66.7%" in _card(dash_duo, "win_rate").text
    assert "On target" in _card(dash_duo, "win_rate").text
    assert "59 days" in _card(dash_duo, "sales_cycle_days").text
    assert "83.3%" in _card(dash_duo, "nrr").text
    assert "Off target" in _card(dash_duo, "customer_concentration").text

    # hovering a card shows its five-part tooltip
    ActionChains(dash_duo.driver).move_to_element(_card(dash_duo, "win_rate")).perform()
    dash_duo.wait_for_element(".kpi-tooltip .tt-formula", timeout=5)
    tip = dash_duo.find_element(".kpi-tooltip").text
    for part in ("DEFINITION", "WHY IT MATTERS", "CALCULATION", "Target:", "Benchmark:", "EDGE CASES"):
        assert part in tip.upper() if part.isupper() else part in tip
    assert "won ÷ (won + lost)" in dash_duo.find_element(".kpi-tooltip .tt-formula").text
    assert dash_duo.get_logs() == []


def test_kpi002_two_cards_open_their_drilldowns_and_rep_filter_narrows(dash_duo, pulse_app):
    _start(dash_duo, pulse_app)
    dash_duo.wait_for_element(CARD.format(metric="pipeline_coverage"), timeout=10)

    # 1. pipeline coverage → tabs; Open deals lists the three Q4 deals
    _card(dash_duo, "pipeline_coverage").click()
    dash_duo.wait_for_contains_text("#drilldown-header", "Pipeline Coverage", timeout=8)
    tabs = [t.text for t in dash_duo.find_elements("#drilldown-tabs .nav-link")]
    assert tabs == ["By rep and stage", "By close week", "Open deals", "Coverage by rep"]
    dash_duo.find_elements("#drilldown-tabs .nav-link")[2].click()
    dash_duo.wait_for_contains_text("#drilldown-body", "Deal 10", timeout=8)
    text = _table_text(dash_duo)
    assert "Deal 1" in text and "Deal 2" in text and "$10,000" in text

    # rep filter: Ana Lopez only → Deal 1 and Deal 14 (no close date)
    dash_duo.select_dcc_dropdown("#filter-rep", value="Ana Lopez")
    ActionChains(dash_duo.driver).send_keys(Keys.ESCAPE).perform()
    dash_duo.wait_for_text_to_equal(".drilldown-totals", "2 rows · Amount (USD) $13.5K · Weighted (USD) $6.75K",
                                    timeout=8)
    assert "Deal 2" not in _table_text(dash_duo)

    # close, then 2. NRR → By customer with Acme's prior revenue
    dash_duo.find_element("#drilldown-modal .btn-close").click()
    dash_duo.wait_for_no_elements(".modal-backdrop", timeout=5)
    _card(dash_duo, "nrr").click()
    dash_duo.wait_for_contains_text("#drilldown-header", "Net Revenue Retention", timeout=8)
    dash_duo.wait_for_contains_text("#drilldown-body", "Acme Drinks", timeout=8)
    text = _table_text(dash_duo)
    assert "$3,000" in text and "$3,500" in text and "expanded" in text
    # the rep filter is hidden for a view without reps
    assert not dash_duo.find_element("#filter-rep").is_displayed()
    assert dash_duo.get_logs() == []


def test_kpi003_empty_period_says_no_data(dash_duo, pulse_app):
    _start(dash_duo, pulse_app)
    dash_duo.wait_for_element(CARD.format(metric="revenue_ytd"), timeout=10)
    _card(dash_duo, "revenue_ytd").click()
    dash_duo.wait_for_contains_text("#drilldown-body", "Acme Drinks", timeout=8)
    # April 2026 has no revenue in the fixture
    for sel in ("#filter-start", "#filter-end"):
        dash_duo.select_dcc_dropdown(sel, value="Apr 2026")
    dash_duo.wait_for_text_to_equal("#drilldown-body .no-data", "No data for this period", timeout=8)
    assert dash_duo.find_elements("#drilldown-body .js-plotly-plot") == []
    assert dash_duo.get_logs() == []
