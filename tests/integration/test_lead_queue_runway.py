"""lead_queue_runway_days end to end: Smartlead fake → worker refresh → Supply card and its
by-campaign drill-down, with the last good value kept when the API fails."""
from __future__ import annotations

import json
import re

import pytest

from tests.conftest import known_runtime
from tests.integration.test_smartlead import API_KEY, smartlead

VALUE = "api/smartlead/lead_queue_runway_days"


def test_lqr001_card_value_then_last_good_on_failure(tmp_path, httpserver, swap_runtime, pulse_app):
    from pages import _kpi

    httpserver.expect_request(re.compile(r"^/api/v1/.*")).respond_with_handler(smartlead())
    rt = known_runtime(tmp_path, smartlead_api_key=API_KEY, smartlead_base_url=httpserver.url_for("/api/v1"))
    results = [r for r in rt.refresh_everything() if r.query.startswith("api/smartlead")]
    assert [r.ok for r in results] == [True, True]
    assert rt.store.get(VALUE).frame["value"].iloc[0] == pytest.approx(20.0)  # 300 ÷ (210 ÷ 14)
    swap_runtime(rt)
    text = str(_kpi.kpi_grid("supply"))
    assert "Lead Queue Runway" in text and "20 days" in text and "Off target" in text  # target ≥ 30 days

    httpserver.clear()
    httpserver.expect_request(re.compile(r"^/api/v1/.*")).respond_with_handler(smartlead(key="rotated-key"))
    results = [r for r in rt.refresh_everything() if r.query.startswith("api/smartlead")]
    assert [r.error_class for r in results] == ["SmartleadAuthError", "SmartleadAuthError"]
    text = str(_kpi.kpi_grid("supply"))
    assert "20 days" in text and "Last refresh failed" in text and "SmartleadAuthError" in text
    assert API_KEY not in text and API_KEY not in json.dumps(rt.store.get_outcome(VALUE))

    from data_access.view_cache import filtered_view

    metric = rt.catalog.metrics["lead_queue_runway_days"]
    df = filtered_view(rt, metric, metric.view("runway_by_campaign"))
    assert df[["campaign_name", "status", "queued_lead_count", "sent_14d_count"]].values.tolist() == [
        ["Caterers", "ACTIVE", 53, 70], ["Venues Q4", "ACTIVE", 247, 140]]
    assert df["runway_days"].tolist() == pytest.approx([10.6, 24.7])


def test_lqr002_not_connected_card_shows_the_hint_to_the_local_admin(pulse_app):
    from pages import _kpi

    with pulse_app.server.test_request_context("/supply", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        text = str(_kpi.kpi_grid("supply"))  # the session app has no Smartlead key
    assert "'Not connected'" in text and "PULSE_SMARTLEAD_API_KEY" in text
