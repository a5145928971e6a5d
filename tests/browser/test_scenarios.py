"""The Sales page's scenario toggle in Chromium: one click switches the scenario card and chart."""
from __future__ import annotations

from tests.browser.test_settings import _nav
from tests.conftest import known_runtime
from tests.fixtures.auth_files import refresh_page


def test_scn001_toggle_switches_the_weighted_pipeline_scenario(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = known_runtime(tmp_path)
    refresh_page(rt, "sales")
    swap_runtime(rt)
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(pulse_app)
    dash_duo.wait_for_text_to_equal("#auth-badge", "local mode — no sign-in", timeout=10)
    _nav(dash_duo, "Sales")
    dash_duo.wait_for_text_to_equal(".scenario-value", "$6.80K", timeout=10)  # base: Σ amount × probability
    best = next(el for el in dash_duo.find_elements(".scenario-toggle label") if el.text == "Best case")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", best)
    dash_duo.wait_for_text_to_equal(".scenario-value", "$8.50K", timeout=10)
    dash_duo.wait_for_contains_text("#sales-scenario-figure", "Best case", timeout=10)
    assert dash_duo.get_logs() == []
