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


def test_his102_a_past_day_drilldown_is_computed_by_the_worker(dash_duo, pulse_app, swap_runtime, tmp_path):
    import threading

    from worker import serve_requests

    rt = known_runtime(tmp_path)
    bf.run_backfill(rt.settings, AS_OF - dt.timedelta(days=2), AS_OF, show_progress=False, warehouse=rt.warehouse(),
                    history=rt.history(), catalog=rt.catalog, targets=rt.targets().targets)
    assert all(r.ok for r in rt.refresh_everything())
    swap_runtime(rt)
    stop = threading.Event()

    def worker_loop():  # what the worker's request polling does every 3 s
        while not stop.is_set():
            serve_requests(rt)
            stop.wait(0.3)

    threading.Thread(target=worker_loop, daemon=True).start()
    try:
        dash_duo.driver.set_window_size(1440, 1000)
        dash_duo.start_server(pulse_app)
        dash_duo.driver.get(dash_duo.server_url + "/?as_of=2026-11-19")
        dash_duo.wait_for_contains_text(".as-of-banner", "Showing Nov 19, 2026", timeout=10)
        dash_duo.find_element('[id*="kpi-card"][id*="revenue_ytd"]').click()
        dash_duo.wait_for_contains_text("#drilldown-header", "$3.30K", timeout=20)  # Nov 19's value, not today's
        dash_duo.wait_for_element("#drilldown-body .dash-spreadsheet", timeout=20)
        table = dash_duo.find_element("#drilldown-body .dash-spreadsheet").text
        assert "Acme Drinks" in table and "1,500" in table  # Nov 21's 2,000 invoice is not there yet
        assert "as_of=2026-11-19" in dash_duo.driver.current_url
        past = rt.store.get("asof/2026-11-19/company_health/revenue_ytd")
        assert past is not None and past.meta.as_of == dt.date(2026, 11, 19)
        assert dash_duo.get_logs() == []
    finally:
        stop.set()
