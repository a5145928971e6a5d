"""SmartleadClient and the lead queue runway against a local Smartlead fake (pytest-httpserver).

The fake follows ``../shared/api_contracts.md`` §2: ``GET /campaigns`` (a JSON array),
``/campaigns/{id}/analytics`` (``campaign_lead_stats.notStarted``) and
``/campaigns/{id}/analytics-by-date?start_date&end_date`` (``unique_sent_count``), every call
authenticated by the ``api_key`` query parameter (401 when it is wrong). Counts are sent as
numeric strings, as the contract's example does. The client is never patched; waits are
recorded with the injectable ``sleep``.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from data_access.config import Settings
from data_access.frame_store import CachedFrame, FrameMeta, frame_from_bytes, frame_to_bytes
from integrations import smartlead_source
from integrations.smartlead import (
    SmartleadAuthError,
    SmartleadClient,
    SmartleadConfigError,
    SmartleadHTTPError,
    SmartleadUnavailable,
    lead_queue_runway,
)

API_KEY = "sl-Leak-Canary-7f3a9e21"
AS_OF = dt.date(2026, 11, 21)
WINDOW = ("2026-11-08", "2026-11-21")  # the 14 days ending on the as-of date

CAMPAIGNS = [
    {"id": 101, "user_id": 45, "status": "ACTIVE", "name": "Venues Q4", "created_at": "2026-10-01T10:00:00.000Z"},
    {"id": 102, "user_id": 45, "status": "ACTIVE", "name": "Caterers", "created_at": "2026-10-05T10:00:00.000Z"},
    {"id": 103, "user_id": 45, "status": "PAUSED", "name": "Old list", "created_at": "2026-06-01T10:00:00.000Z"},
]
NOT_STARTED = {101: 247, 102: "53", 103: 900}  # an int and a string: the contract leaves the type open
UNIQUE_SENT = {101: "140", 102: "70", 103: "500"}  # 14-day sums


def _analytics(cid: int) -> dict:
    return {"id": cid, "status": "ACTIVE", "name": f"c{cid}", "sent_count": "999", "unique_sent_count": "610",
            "drafted_count": "494", "total_count": "800",
            "campaign_lead_stats": {"total": 800, "notStarted": NOT_STARTED[cid], "inprogress": 400,
                                    "completed": 150, "blocked": 2, "paused": 0, "stopped": 1}}


def _by_date(cid: int) -> dict:
    return {"id": cid, "sent_count": "300", "unique_sent_count": UNIQUE_SENT[cid], "open_count": "12"}


def smartlead(hits: list | None = None, key: str = API_KEY):
    """A handler that behaves like Smartlead: 401 unless ``api_key`` is right."""

    def handle(request: Request) -> Response:
        if hits is not None:
            hits.append((request.path, dict(request.args)))
        if request.args.get("api_key") != key:
            return Response(json.dumps({"message": "Invalid API key"}), status=401, content_type="application/json")
        parts = request.path.strip("/").split("/")
        if parts == ["api", "v1", "campaigns"]:
            body = CAMPAIGNS
        elif len(parts) == 5 and parts[4] == "analytics":
            body = _analytics(int(parts[3]))
        elif len(parts) == 5 and parts[4] == "analytics-by-date":
            if (request.args.get("start_date"), request.args.get("end_date")) != WINDOW:
                return Response("bad window", status=400)
            body = _by_date(int(parts[3]))
        else:
            return Response("not found", status=404)
        return Response(json.dumps(body), content_type="application/json")

    return handle


class Recorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def server(httpserver: HTTPServer) -> HTTPServer:
    httpserver.no_handler_status_code = 404
    yield httpserver
    httpserver.check_handler_errors()


def _client(server: HTTPServer, key: str = API_KEY, **kw) -> SmartleadClient:
    return SmartleadClient(key, base_url=server.url_for("/api/v1"), **kw)


def _route_all(server: HTTPServer, handler) -> None:
    import re

    server.expect_request(re.compile(r"^/api/v1/.*")).respond_with_handler(handler)


def test_sl001_runway_on_known_campaigns(server):
    hits: list = []
    _route_all(server, smartlead(hits))
    snap = _client(server).fetch_runway(AS_OF)
    metric = lead_queue_runway(snap)
    # (247 + 53) ÷ ((140 + 70) ÷ 14) = 300 ÷ 15 = 20.0 days; the PAUSED campaign is ignored
    assert metric["value"] == pytest.approx(20.0)
    assert (metric["queued_lead_count"], metric["sent_14d_count"], metric["active_campaign_count"]) == (300, 210, 2)
    assert metric["sent_per_day"] == pytest.approx(15.0)
    assert not any("/103/" in path for path, _ in hits)  # no request for a campaign that does not count
    assert all(args.get("api_key") == API_KEY for _, args in hits)


def test_sl002_by_campaign_view_frame(server):
    _route_all(server, smartlead())
    frame = _client(server).fetch_runway(AS_OF).campaigns
    assert list(frame.columns) == ["campaign_id", "campaign_name", "status", "queued_lead_count", "sent_14d_count",
                                   "runway_days"]
    rows = [tuple(r) for r in frame.itertuples(index=False)]
    assert rows == [("102", "Caterers", "ACTIVE", 53, 70, pytest.approx(10.6)),  # 53 ÷ (70 ÷ 14)
                    ("101", "Venues Q4", "ACTIVE", 247, 140, pytest.approx(24.7))]  # 247 ÷ (140 ÷ 14)
    meta = FrameMeta(smartlead_source.CAMPAIGNS_FRAME, AS_OF, dt.datetime.now(dt.timezone.utc), 0.1, len(frame))
    back = frame_from_bytes(frame_to_bytes(CachedFrame(frame, meta))).frame  # the Redis store's Arrow IPC
    pd.testing.assert_frame_equal(back, frame)


def test_sl003_nothing_sent_gives_no_value(server, monkeypatch):
    monkeypatch.setitem(UNIQUE_SENT, 101, "0")
    monkeypatch.setitem(UNIQUE_SENT, 102, 0)
    _route_all(server, smartlead())
    snap = _client(server).fetch_runway(AS_OF)
    assert math.isnan(lead_queue_runway(snap)["value"])  # n/a, not infinity
    assert snap.campaigns["runway_days"].isna().all()


def test_sl010_429_with_retry_after_then_success(server):
    sleep = Recorder()
    server.expect_ordered_request("/api/v1/campaigns").respond_with_response(
        Response(json.dumps({"error": {"code": "RATE_LIMIT_EXCEEDED", "retry_after": 2}}), status=429,
                 headers={"Retry-After": "2"}, content_type="application/json"))
    server.expect_ordered_request("/api/v1/campaigns").respond_with_handler(smartlead())
    campaigns = _client(server, sleep=sleep).campaigns()
    assert [c["id"] for c in campaigns] == [101, 102, 103]
    assert sleep.waits == [2.0]  # Retry-After honoured, exactly once


def test_sl011_5xx_retried_then_unavailable(server):
    sleep = Recorder()
    server.expect_request("/api/v1/campaigns").respond_with_data("down", status=503)
    with pytest.raises(SmartleadUnavailable, match="3 attempt"):
        _client(server, max_attempts=3, backoff_max_s=0.01, sleep=sleep).campaigns()
    assert len(server.log) == 3 and len(sleep.waits) == 2


def test_sl012_401_not_retried_and_key_never_in_message_or_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    sleep = Recorder()
    _route_all(server, smartlead(key="the-right-key"))
    client = _client(server, sleep=sleep)
    with pytest.raises(SmartleadAuthError) as info:
        client.fetch_runway(AS_OF)
    assert info.value.status == 401 and info.value.kind == "auth"
    assert len(server.log) == 1 and sleep.waits == []  # never retried
    assert "PULSE_SMARTLEAD_API_KEY" in str(info.value)
    ours = [r.getMessage() for r in caplog.records if r.name != "werkzeug"]  # werkzeug: the fake's access log
    text = " ".join([str(info.value), repr(info.value), repr(client), *ours])
    assert any("HTTP Request" in m and "api_key=***" in m for m in ours)  # httpx logged it, key redacted
    assert API_KEY not in text and "Leak-Canary" not in text
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(client)


def test_sl013_other_4xx_not_retried(server):
    server.expect_request("/api/v1/campaigns").respond_with_data(f"echo api_key={API_KEY}", status=422)
    with pytest.raises(SmartleadHTTPError) as info:
        _client(server, sleep=Recorder()).campaigns()
    assert len(server.log) == 1 and API_KEY not in str(info.value)


def test_sl020_base_url_must_be_https_unless_loopback():
    with pytest.raises(SmartleadConfigError):
        SmartleadClient(API_KEY, base_url="http://smartlead.example.com/api/v1")
    with pytest.raises(SmartleadConfigError):
        SmartleadClient("", base_url="https://server.smartlead.ai/api/v1")
    assert SmartleadClient(API_KEY).base_url == "https://server.smartlead.ai/api/v1"


def test_sl030_not_connected_without_the_env_var(monkeypatch):
    monkeypatch.delenv("PULSE_SMARTLEAD_API_KEY", raising=False)
    settings = Settings()
    assert not smartlead_source.is_connected(settings)
    assert "PULSE_SMARTLEAD_API_KEY" in smartlead_source.CONNECT_HINT
    with pytest.raises(smartlead_source.NotConnected):
        smartlead_source.fetch_frames(settings)
    monkeypatch.setenv("PULSE_SMARTLEAD_API_KEY", API_KEY)
    monkeypatch.setenv("PULSE_SMARTLEAD_BASE_URL", "http://127.0.0.1:9/api/v1")
    settings = Settings()
    assert smartlead_source.is_connected(settings)
    assert settings.smartlead_base_url == "http://127.0.0.1:9/api/v1"
    assert API_KEY not in repr(settings)
