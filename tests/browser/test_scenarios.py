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


WEIGHTED_CARD = """div[id='{"metric":"weighted_pipeline_usd","type":"kpi-tip"}']"""  # the grid's card box


def _scenario_runtime(tmp_path):
    """The hand-built company with a 6,000 USD Weighted Pipeline target and commit at threshold 0.5:
    base 6,800 (on target), commit 5,000 (near target: the catalog's 0.2 band starts at 4,800)."""
    (tmp_path / "targets.json").write_text(
        '{"revenue_plan": {"monthly_usd": 2000}, "metrics": {"weighted_pipeline_usd": {"target": 6000}},'
        ' "pipeline_scenarios": {"commit_threshold": 0.5}}')
    rt = known_runtime(tmp_path)
    refresh_page(rt, "sales")
    return rt


_WATCH_CARD = """
const selector = arguments[0];
const grid = document.querySelector(selector).closest('.row');
window.__cardTexts = [];
new MutationObserver(() => {
    const card = document.querySelector(selector);
    if (card) window.__cardTexts.push(card.innerText);
}).observe(grid, {subtree: true, childList: true, characterData: true});
"""


def _pick(dash_duo, title):
    label = next(el for el in dash_duo.find_elements(".scenario-toggle label") if el.text == title)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", label)


def test_scn002_toggle_switches_the_grids_weighted_pipeline_card(dash_duo, pulse_app, swap_runtime, tmp_path):
    from dash.testing import wait
    from selenium.webdriver.support.ui import Select

    swap_runtime(_scenario_runtime(tmp_path))
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(pulse_app)
    dash_duo.wait_for_text_to_equal("#auth-badge", "local mode — no sign-in", timeout=10)
    _nav(dash_duo, "Sales")
    dash_duo.wait_for_contains_text(WEIGHTED_CARD, "$6.80K", timeout=10)
    assert "On target" in dash_duo.find_element(WEIGHTED_CARD).text
    _pick(dash_duo, "Commit")
    dash_duo.wait_for_contains_text(WEIGHTED_CARD, "Scenario: Commit", timeout=10)
    card = dash_duo.find_element(WEIGHTED_CARD)
    assert "$5.00K" in card.text and "Near target" in card.text and "$6.80K" not in card.text
    # the grid redraws (here: another compared period; every minute in use) with the base card, and the
    # card goes back to the scenario: watch the card's texts to see the redraw happen, then the scenario
    dash_duo.driver.execute_script(_WATCH_CARD, WEIGHTED_CARD)
    Select(dash_duo.find_element("select.delta-period")).select_by_value("quarter")
    wait.until(lambda: any("$6.80K" in t for t in dash_duo.driver.execute_script("return window.__cardTexts")),
               timeout=10, msg="the grid never redrew")
    dash_duo.wait_for_contains_text(f"{WEIGHTED_CARD} .kpi-badge", "Scenario: Commit", timeout=10)
    dash_duo.wait_for_contains_text(WEIGHTED_CARD, "$5.00K", timeout=10)
    _pick(dash_duo, "Base")
    dash_duo.wait_for_contains_text(WEIGHTED_CARD, "$6.80K", timeout=10)
    assert "Scenario:" not in dash_duo.find_element(WEIGHTED_CARD).text
    assert "On target" in dash_duo.find_element(WEIGHTED_CARD).text
    assert dash_duo.get_logs() == []


def test_scn003_toggle_kept_across_reloads_unless_the_url_names_a_scenario(dash_duo, pulse_app, swap_runtime,
                                                                          tmp_path):
    swap_runtime(_scenario_runtime(tmp_path))
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(pulse_app)
    dash_duo.driver.get(dash_duo.server_url + "/sales")
    dash_duo.wait_for_contains_text(WEIGHTED_CARD, "$6.80K", timeout=10)
    _pick(dash_duo, "Commit")
    dash_duo.wait_for_contains_text(WEIGHTED_CARD, "Scenario: Commit", timeout=10)
    dash_duo.driver.refresh()  # same tab: the pick is remembered
    dash_duo.wait_for_contains_text(WEIGHTED_CARD, "Scenario: Commit", timeout=10)
    dash_duo.wait_for_text_to_equal(".scenario-value", "$5.00K", timeout=10)
    dash_duo.driver.get(dash_duo.server_url + "/sales?scenario=best")  # the URL wins
    dash_duo.wait_for_contains_text(WEIGHTED_CARD, "Scenario: Best case", timeout=10)
    dash_duo.wait_for_text_to_equal(".scenario-value", "$8.50K", timeout=10)
    assert dash_duo.get_logs() == []
