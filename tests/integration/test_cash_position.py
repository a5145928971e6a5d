"""cash_position end to end: SimpleFIN fake → worker refresh → card, with fallback on failure."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from werkzeug import Request, Response

from tests.conftest import known_runtime

USER, PASSWORD = "pulse-user", "Sfin-Pa55-Canary-7731"
ACCOUNTS = {"errors": ["Connection to Chase may need attention"], "accounts": [
    {"org": {"name": "My Bank"}, "id": "A1", "name": "Operating", "currency": "USD", "balance": "412000.50",
     "balance-date": 1763700000},
    {"org": {"name": "My Bank"}, "id": "A2", "name": "Reserve", "currency": "USD", "balance": "150000.25",
     "balance-date": 1763700000},
    {"org": {"name": "EU Bank"}, "id": "A3", "name": "Berlin", "currency": "EUR", "balance": "9000.00",
     "balance-date": 1763700000},
]}


def _handler(status: int):
    def handle(request: Request) -> Response:
        auth = request.authorization
        if status != 200 or auth is None or (auth.username, auth.password) != (USER, PASSWORD):
            return Response("Forbidden", status=403)
        return Response(json.dumps(ACCOUNTS), content_type="application/json")
    return handle


def test_cash001_card_value_then_last_good_on_failure(tmp_path, httpserver, swap_runtime, pulse_app):
    from pages import _kpi

    url = httpserver.url_for("/simplefin").replace("://", f"://{USER}:{quote(PASSWORD)}@", 1)
    httpserver.expect_request("/simplefin/accounts").respond_with_handler(_handler(200))
    rt = known_runtime(tmp_path, simplefin_access_url=url)
    results = [r for r in rt.refresh_everything() if r.query.startswith("api/simplefin")]
    assert [r.ok for r in results] == [True, True]
    swap_runtime(rt)
    text = str(_kpi.kpi_grid("company_health"))
    assert "$562K" in text and "On target" in text  # 412,000.50 + 150,000.25; EUR left out
    outcome = rt.store.get_outcome("api/simplefin/cash_position")
    assert any("Chase" in m for m in outcome["messages"])  # partial data surfaced to admins

    httpserver.clear()
    httpserver.expect_request("/simplefin/accounts").respond_with_handler(_handler(403))
    results = [r for r in rt.refresh_everything() if r.query.startswith("api/simplefin")]
    assert [r.error_class for r in results] == ["SimpleFinAuthError", "SimpleFinAuthError"]
    text = str(_kpi.kpi_grid("company_health"))
    assert "$562K" in text and "Last refresh failed" in text and "SimpleFinAuthError" in text
    assert PASSWORD not in text and PASSWORD not in json.dumps(rt.store.get_outcome("api/simplefin/cash_position"))
    view = rt.catalog.metrics["cash_position"].view("cash_by_account")
    from data_access.view_cache import filtered_view

    df = filtered_view(rt, rt.catalog.metrics["cash_position"], view)
    assert dict(zip(df["account_name"], df["balance_usd"])) == pytest.approx({"Operating": 412000.50,
                                                                              "Reserve": 150000.25})
