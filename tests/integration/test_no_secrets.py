"""No secret value in any HTTP response: layout, dependencies, callbacks, API, status."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.conftest import known_runtime
from tests.integration.conftest import RedisServer

REDIS_SECRET = "Redis-Secret-Canary-5501"
SFIN_SECRET = "Sfin-Secret-Canary-9902"
SMARTLEAD_SECRET = "Smartlead-Secret-Canary-3303"


@pytest.fixture
def secret_runtime(tmp_path, swap_runtime, pulse_app):
    server = RedisServer(tmp_path / "redis", password=REDIS_SECRET)
    (tmp_path / "redis").mkdir()
    server.start()
    sfin = f"http://pulse:{quote(SFIN_SECRET)}@127.0.0.1:9/simplefin"  # nothing listens on port 9
    rt = known_runtime(tmp_path, redis_url=server.url, simplefin_access_url=sfin,
                       smartlead_api_key=SMARTLEAD_SECRET, smartlead_base_url="http://127.0.0.1:9/api/v1")
    assert all(r.ok for r in rt.refresh())  # warehouse frames; SimpleFIN is only configured
    swap_runtime(rt)
    yield rt
    server.stop()


def _post(client, output: str, outputs, inputs, state=(), changed=()):
    body = {"output": output, "outputs": outputs, "inputs": list(inputs), "state": list(state),
            "changedPropIds": list(changed)}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code in (200, 204), r.get_data(as_text=True)[:300]
    return r.get_data(as_text=True)


def test_sec001_no_secret_in_any_response(secret_runtime, pulse_app):
    client = pulse_app.server.test_client()
    bodies = {}
    for path in ["/", "/status", "/_dash-layout", "/_dash-dependencies", "/api/metrics", "/api/status", "/healthz"]:
        r = client.get(path)
        assert r.status_code == 200, path
        bodies[path] = r.get_data(as_text=True)
    for metric in secret_runtime.catalog.metrics.values():
        bodies[f"metric {metric.id}"] = client.get(f"/api/metrics/{metric.id}").get_data(as_text=True)
        for view in metric.views:
            for fmt in ("json", "csv"):
                bodies[f"{metric.id}/{view.id}.{fmt}"] = client.get(
                    f"/api/metrics/{metric.id}/views/{view.id}?format={fmt}").get_data(as_text=True)

    # every callback of the app, as the renderer calls them
    grid, interval = {"type": "kpi-grid", "page": "company_health"}, {"type": "grid-interval", "page": "company_health"}
    bodies["grid"] = _post(client, '..{"page":["MATCH"],"type":"kpi-grid"}.children...'
                                   '{"page":["MATCH"],"type":"grid-interval"}.interval..',
                           [{"id": grid, "property": "children"}, {"id": interval, "property": "interval"}],
                           [{"id": interval, "property": "n_intervals", "value": 1},
                            {"id": {"type": "delta-period", "page": "company_health"}, "property": "value",
                             "value": "year"}],
                           [{"id": {"type": "page-as-of", "page": "company_health"}, "property": "data", "value": None}])
    bodies["banner"] = _post(client, "cache-banner.children", {"id": "cache-banner", "property": "children"},
                             [{"id": "banner-interval", "property": "n_intervals", "value": 1}])
    bodies["status"] = _post(client, "status-body.children", {"id": "status-body", "property": "children"},
                             [{"id": "status-interval", "property": "n_intervals", "value": 1}])
    state = [{"id": "drilldown-state", "property": "data", "value": {"metric": "cash_position"}}]
    for metric in secret_runtime.catalog.metrics.values():
        st = [{"id": "drilldown-state", "property": "data", "value": {"metric": metric.id}}]
        outs = [("drilldown-header", "children"), ("drilldown-tabs", "children"),
                ("drilldown-tabs", "active_tab"), ("drilldown-breadcrumb", "children")]
        bodies[f"header {metric.id}"] = _post(
            client, ".." + "...".join(f"{i}.{p}" for i, p in outs) + "..",
            [{"id": i, "property": p} for i, p in outs],
            [{"id": "drilldown-state", "property": "data", "value": {"metric": metric.id}}])
        for view in metric.views:
            bodies[f"body {metric.id}/{view.id}"] = _post(
                client, "drilldown-body.children", {"id": "drilldown-body", "property": "children"},
                [{"id": "drilldown-tabs", "property": "active_tab", "value": view.id},
                 {"id": "filter-rep", "property": "value", "value": []},
                 {"id": "filter-segment", "property": "value", "value": []},
                 {"id": "filter-start", "property": "value", "value": None},
                 {"id": "filter-end", "property": "value", "value": None},
                 {"id": "pulse-theme", "property": "data", "value": None}], st)
    bodies["refresh now"] = _post(client, "refresh-notice.children", {"id": "refresh-notice", "property": "children"},
                                  [{"id": "refresh-now", "property": "n_clicks", "value": 1}], state)
    assert "Refresh requested" in bodies["refresh now"]
    assert "Deal 1" in bodies["body pipeline_coverage/open_deals"]  # the crawl really rendered data

    for name, text in bodies.items():
        for secret in (REDIS_SECRET, SFIN_SECRET, quote(SFIN_SECRET), SMARTLEAD_SECRET):
            assert secret not in text, f"secret leaked in {name}"
    status = json.loads(bodies["/api/status"])
    assert status["cache_available"] is True
