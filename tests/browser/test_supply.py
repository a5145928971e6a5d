"""Supply in headless Chromium: the Smartlead lead queue runway card without an API key."""
from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains

CARD = '[id*="kpi-card"][id*="lead_queue_runway_days"]'


def test_supply001_runway_card_says_not_connected_and_its_drilldown_opens(dash_duo, pulse_app):
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(pulse_app)
    dash_duo.wait_for_element(".pulse-navbar .nav-link[href='/supply']", timeout=10).click()
    dash_duo.wait_for_text_to_equal(".page-title", "Supply", timeout=10)
    card = dash_duo.wait_for_element(CARD, timeout=10)
    assert "LEAD QUEUE RUNWAY" in card.text.upper() and "Not connected" in card.text
    assert "PULSE_SMARTLEAD_API_KEY" in card.text  # the local admin sees how to connect it
    assert "Target ≥ 30 days" in card.text

    ActionChains(dash_duo.driver).move_to_element(card).perform()
    dash_duo.wait_for_element(".kpi-tooltip .tt-formula", timeout=5)
    tip = dash_duo.find_element(".kpi-tooltip").text
    assert "unique emails sent over the last 14 days ÷ 14" in tip and "Cold-start method" in tip

    card.click()
    dash_duo.wait_for_contains_text("#drilldown-header", "Lead Queue Runway", timeout=10)
    assert [t.text for t in dash_duo.find_elements("#drilldown-tabs .nav-link")] == ["By campaign"]
    dash_duo.wait_for_element("#drilldown-body .no-data", timeout=10)  # nothing fetched: no table
    assert dash_duo.get_logs() == []
