"""KPI history in headless Chromium: a page ?as_of= a past day shows that day's recorded values."""
from __future__ import annotations

import datetime as dt

from data_access import backfill as bf
from tests.conftest import known_runtime
from tests.fixtures.known_company import AS_OF


def test_his101_a_past_day_page_and_back_to_today(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = known_runtime(tmp_path)
    bf.run_backfill(rt.settings, AS_OF - dt.timedelta(days=2), AS_OF, show_progress=False, warehouse=rt.warehouse(),
                    history=rt.history(), catalog=rt.catalog, targets=rt.targets().targets)
    assert all(r.ok for r in rt.refresh_everything())
    swap_runtime(rt)
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(pulse_app)
    dash_duo.driver.get(dash_duo.server_url + "/?as_of=2026-11-19")
    dash_duo.wait_for_contains_text(".as-of-banner", "Showing Nov 19, 2026", timeout=10)
    revenue = dash_duo.find_element('[id*="kpi-card"][id*="revenue_ytd"]').text
    assert "$3.30K" in revenue and "Recorded for Nov 19, 2026" in revenue  # 5,300 less Nov 21's 2,000
    assert dash_duo.find_element("#as-of-picker").get_attribute("value") == "Nov 19, 2026"
    dash_duo.find_element(".as-of-banner a").click()
    dash_duo.wait_for_contains_text('[id*="kpi-card"][id*="revenue_ytd"]', "$5.30K", timeout=10)
    assert not dash_duo.find_elements(".as-of-banner")
    assert dash_duo.get_logs() == []
