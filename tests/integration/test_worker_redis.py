"""The worker and the Redis cache under failure: claims, failures, staleness, outages, status."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time

import duckdb
import pytest

from data_access.catalog import load_catalog
from data_access.coordination import RedisCoordinator
from data_access.frame_store import CachedFrame, RedisFrameStore
from data_access.status import status_report
from tests.conftest import PROJECT_ROOT, known_runtime


def _grid_text(rt, swap_runtime) -> str:
    from pages import _kpi

    swap_runtime(rt)
    return str(_kpi.kpi_grid("company_health"))


def test_wrk001_two_workers_refresh_each_metric_once(tmp_path, redis_server):
    rt = known_runtime(tmp_path)  # writes the fixture warehouse and targets
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PULSE_REDIS_URL": redis_server.url,
           "PULSE_DUCKDB_PATH": str(rt.settings.duckdb_path), "PULSE_AS_OF_DATE": "2026-11-21",
           "PULSE_TARGETS_PATH": str(rt.settings.targets_path)}
    logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
    procs = [subprocess.Popen([sys.executable, "worker.py"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=open(log, "w")) for log in logs]
    try:
        store = RedisFrameStore(redis_server.client(), load_catalog().version)
        wanted = load_catalog().queries()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not all(store.get_meta(q) for q in wanted):
            time.sleep(0.3)
        assert all(store.get_meta(q) for q in wanted), "workers did not fill the cache"
        time.sleep(2)  # let the slower worker finish its start-up round
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=20)
    text = "".join(log.read_text() for log in logs)
    refreshed = re.findall(r"refreshed \d+ queries for 2026-11-21", text)
    skipped = re.findall(r"refresh of (\w+) skipped: another worker claimed it", text)
    warehouse_metrics = [m for m in load_catalog().metrics.values() if m.source == "warehouse"]
    assert len(refreshed) == len(warehouse_metrics)  # each metric's start-up refresh ran once in all
    assert sorted(skipped) == sorted(load_catalog().metrics)  # …and the other worker skipped every one
    assert store.get("company_health/win_rate").frame["value"].iloc[0] == pytest.approx(2 / 3)
    # the start-up round both workers shared: every metric counted once, the last one ended it
    rnd = RedisCoordinator(redis_server.client(), load_catalog().version).refresh_round()
    n = len(load_catalog().metrics)
    assert (rnd.total, rnd.done, rnd.running) == (n, n, False)


def test_wrk001b_the_refresh_round_in_redis_counts_each_metric_once(redis_server):
    a = RedisCoordinator(redis_server.client(), "v1")
    b = RedisCoordinator(redis_server.client(), "v1")  # a second worker
    assert a.refresh_round() is None
    assert a.start_round(3, ttl_s=1800) is True and b.start_round(3, ttl_s=1800) is False
    a.step_round("win_rate")
    b.step_round("win_rate")  # both say it: counted once
    rnd = b.refresh_round()
    assert (rnd.total, rnd.done, rnd.running, rnd.finished_at) == (3, 1, True, None)
    b.step_round("nrr")
    a.step_round("grr")
    rnd = a.refresh_round()
    assert (rnd.done, rnd.running) == (3, False) and rnd.finished_at is not None
    assert 0 < redis_server.client().ttl("pulse:v1:round:done") <= 1800  # it expires with the round
    assert b.start_round(2, ttl_s=1800) is True and b.refresh_round().done == 0


def test_wrk002_failure_keeps_last_good_value_then_stale_badge(tmp_path, redis_server, swap_runtime, pulse_app):
    rt = known_runtime(tmp_path, redis_url=redis_server.url)
    assert all(r.ok for r in rt.refresh_everything())
    rt.warehouse().close()
    rt._warehouse = None
    with duckdb.connect(str(rt.settings.duckdb_path)) as con:
        con.execute("drop table hubspot.deal")  # the source breaks
    results = rt.refresh(queries=["company_health/win_rate"])
    assert not results[0].ok and results[0].error_class == "CatalogException"
    text = _grid_text(rt, swap_runtime)
    assert "66.7%" in text  # the last good value is still on the card
    assert "Last refresh failed" in text and "CatalogException" in text and "last success" in text
    report = status_report(rt)
    assert report["frames"][0]["frame"] == "company_health/win_rate" and report["frames"][0]["state"] == "failing"
    assert report["healthy"] is False

    # three days later with no successful refresh: past the 2 h SLA → stale badge, value still shown
    old = rt.store.get("company_health/pipeline_coverage")
    aged = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    rt.store.put("company_health/pipeline_coverage",
                 CachedFrame(old.frame, old.meta.__class__(**{**old.meta.__dict__, "refreshed_at": aged})))
    text = _grid_text(rt, swap_runtime)
    assert "Stale · older than 2 h" in text and "5.8×" in text
    states = {f["frame"]: f["state"] for f in status_report(rt)["frames"]}
    assert states["company_health/pipeline_coverage"] == "stale"


def test_wrk003_redis_outage_banner_then_recovery(tmp_path, redis_server, swap_runtime, pulse_app):
    from pages.shell import show_cache_banner

    rt = known_runtime(tmp_path, redis_url=redis_server.url, cache_retry_after_s=0.5)
    assert all(r.ok for r in rt.refresh_everything())
    client = pulse_app.server.test_client()
    assert "66.7%" in _grid_text(rt, swap_runtime)
    assert show_cache_banner(0) is None
    assert client.get("/healthz").status_code == 200

    redis_server.stop()  # Redis dies while the app is up
    text = _grid_text(rt, swap_runtime)
    assert "66.7%" in text and "5.8×" in text  # pages keep the frames they last read
    banner = str(show_cache_banner(1))
    assert "Cache unavailable" in banner
    assert client.get("/healthz").status_code == 503
    r = client.get("/api/metrics/win_rate")
    assert r.status_code == 200 and r.get_json()["value"] == pytest.approx(2 / 3)

    redis_server.start()  # same port, data kept on disk: recovery without a restart
    time.sleep(0.6)
    assert "66.7%" in _grid_text(rt, swap_runtime)
    assert show_cache_banner(2) is None
    assert client.get("/healthz").status_code == 200
    assert rt.cache_available


def test_wrk004_refresh_now_goes_through_redis_to_the_worker(tmp_path, redis_server):
    from worker import serve_requests

    web = known_runtime(tmp_path, redis_url=redis_server.url)
    worker = known_runtime(tmp_path, redis_url=redis_server.url)
    web.coordinator.request_refresh("win_rate")
    web.coordinator.request_refresh("win_rate")  # a double click is one refresh
    assert web.store.get("company_health/win_rate") is None  # the web process ran nothing
    assert serve_requests(worker) == 1
    assert web.store.get("company_health/win_rate").frame["value"].iloc[0] == pytest.approx(2 / 3)
    assert serve_requests(worker) == 0


def test_wrk005_status_api_and_page(pulse_app):
    client = pulse_app.server.test_client()
    body = client.get("/api/status").get_json()
    assert body["healthy"] is True and body["worker"]["mode"] == "embedded"
    frames = {f["frame"]: f for f in body["frames"]}
    assert frames["company_health/open_deals"]["state"] == "ok"
    assert frames["company_health/open_deals"]["rows"] == 5  # 3 closing in Q4 + 2 without a close date
    assert frames["company_health/win_rate"]["metrics"] == ["win_rate"]
    assert frames["api/simplefin/cash_position"]["state"] == "not_connected"  # not an error
    states = [f["state"] for f in body["frames"]]  # problems first: not connected before every OK frame
    assert states == sorted(states, key=["not_connected", "ok"].index) and states[0] == "not_connected"
    assert frames["api/simplefin/cash_position"]["message"].startswith("Not connected: an admin can connect")
    assert frames["company_health/open_deals"]["message"] == ""  # nothing to say about a good frame
    from pages import status

    page = str(status.status_body())
    assert "company_health/open_deals" in page and "Embedded scheduler" in page
    assert "OK" in page and "not connected · " in page  # the summary line counts states, problems first


def test_wrk007_status_says_when_the_worker_is_gone(tmp_path, redis_server, swap_runtime, pulse_app):
    """A worker not seen for longer than WORKER_STALE_S: /status says so in words, /api/status is unhealthy;
    a fresh heartbeat clears it. With Redis down the heartbeat is unknown: no such claim then."""
    import json

    from data_access.status import WORKER_STALE_S
    from pages import status

    rt = known_runtime(tmp_path, redis_url=redis_server.url)
    rt.refresh_everything()
    swap_runtime(rt)
    seen = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=WORKER_STALE_S + 180)
    rt.coordinator.beat()
    client = redis_server.client()
    key = next(client.scan_iter("*:worker:heartbeat"))
    client.set(key, json.dumps({"at": seen.isoformat(), "host": "w1", "pid": 1}))  # a beat 5 min old
    page = str(status.status_body())
    assert "The refresh worker is not running" in page and "Worker last seen 5 min ago" in page
    body = pulse_app.server.test_client().get("/api/status").get_json()
    assert body["healthy"] is False and body["worker"]["alive"] is False and body["worker"]["age_s"] >= 300
    rt.coordinator.beat()
    page = str(status.status_body())
    assert "not running" not in page and "Worker last seen just now" in page
    redis_server.stop()
    page = str(status.status_body())
    assert "not running" not in page and "The frame cache (Redis) is unreachable." in page


def test_wrk006_frames_lost_by_redis_are_refilled_by_the_worker(tmp_path, redis_server):
    """Redis restarted empty (here: FLUSHDB): the worker's refill job refreshes exactly what is gone."""
    import worker

    rt = known_runtime(tmp_path, redis_url=redis_server.url)
    results = rt.refresh_everything()
    assert worker.fill_missing(rt) == []  # everything there: nothing to do
    redis_server.client().flushdb()
    assert rt.store.get_meta("company_health/win_rate") is None
    refilled = worker.fill_missing(rt)
    # every metric again, except those of APIs not configured here (SimpleFIN, Smartlead)
    assert sorted(refilled) == sorted(m for m in rt.catalog.metrics
                                      if m not in ("cash_position", "lead_queue_runway_days"))
    assert rt.store.get("company_health/win_rate").frame["value"].iloc[0] == pytest.approx(2 / 3)
    assert all(rt.store.get_meta(q) is not None for q in rt.catalog.queries())
    assert worker.fill_missing(rt) == []  # present frames are left to their cadence
    assert len(results) >= len(rt.catalog.queries())
