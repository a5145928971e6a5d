"""The refresh round: progress counted per metric, shown on empty cards and said by the API."""
from __future__ import annotations

import datetime as dt
import json

import pytest

import worker
from data_access.coordination import MemoryCoordinator, RefreshRound
from tests.conftest import known_runtime


class Spy(MemoryCoordinator):
    """The in-process coordinator, noting the round after every step."""

    def __init__(self):
        super().__init__()
        self.seen: list[RefreshRound] = []

    def step_round(self, metric_id):
        super().step_round(metric_id)
        self.seen.append(self.refresh_round())


def test_rnd001_a_metric_counts_once_and_the_last_one_ends_the_round():
    c = MemoryCoordinator()
    assert c.refresh_round() is None
    assert c.start_round(3, 1800) is True
    assert c.start_round(3, 1800) is False  # one round at a time
    c.step_round("a")
    c.step_round("a")  # said twice (two workers): counted once
    r = c.refresh_round()
    assert (r.total, r.done, r.running) == (3, 1, True)
    c.step_round("b")
    c.step_round("c")
    r = c.refresh_round()
    assert (r.done, r.running) == (3, False) and r.finished_at is not None
    assert c.start_round(2, 1800) is True and c.refresh_round().done == 0  # a new round starts afresh


def test_rnd002_retry_after_follows_the_pace_of_the_round():
    now = dt.datetime.now(dt.timezone.utc)
    assert RefreshRound(now, 26, 0).retry_after_s() == 5  # nothing done yet: ask again soon
    # 10 of 26 in 20 s → 16 left at 2 s each = 32 s
    assert RefreshRound(now - dt.timedelta(seconds=20), 26, 10).retry_after_s() == 32
    assert RefreshRound(now - dt.timedelta(seconds=600), 26, 1).retry_after_s() == 60  # capped at a minute
    assert not RefreshRound(now - dt.timedelta(seconds=RefreshRound.ABANDONED_S + 1), 26, 3).running


def test_rnd003_refresh_everything_steps_each_metric_as_its_frames_land(tmp_path):
    rt = known_runtime(tmp_path)
    rt.coordinator = spy = Spy()
    results = rt.refresh_everything()
    assert all(r.ok for r in results)
    n = len(rt.catalog.metrics)
    assert [r.done for r in spy.seen] == list(range(1, n + 1))  # one step per metric, in order
    assert all(r.running for r in spy.seen[:-1]) and not spy.seen[-1].running
    final = rt.refresh_round()
    assert (final.total, final.done, final.running) == (n, n, False)


def test_rnd004_worker_start_up_round_counts_run_and_already_claimed_metrics(tmp_path):
    rt = known_runtime(tmp_path)
    rt.coordinator = spy = Spy()
    n = len(rt.catalog.metrics)
    for metric_id in list(rt.catalog.metrics)[:5]:  # claimed a moment ago by another worker
        assert spy.claim(metric_id, ttl_s=worker.STARTUP_CLAIM_S)
    worker.startup_round(rt)
    assert [r.done for r in spy.seen] == list(range(1, n + 1))
    assert not rt.refresh_round().running
    claimed, ran = list(rt.catalog.metrics.values())[:5], list(rt.catalog.metrics.values())[5:]
    assert all(rt.store.get_meta(m.query) is None for m in claimed if m.source == "warehouse")  # skipped
    assert all(rt.store.get_meta(m.query) is not None for m in ran if m.source == "warehouse")  # run here


def test_rnd005_cards_without_a_value_say_the_round_is_running(tmp_path, swap_runtime, pulse_app):
    from pages import _kpi

    rt = known_runtime(tmp_path)  # nothing refreshed yet
    swap_runtime(rt)
    assert "Refreshing" not in str(_kpi.kpi_grid("company_health"))  # no round: plain "No data"
    rt.coordinator.start_round(len(rt.catalog.metrics), 1800)
    rt.coordinator.step_round("revenue_ytd")
    rt.coordinator.step_round("nrr")
    text = str(_kpi.kpi_grid("company_health"))
    assert "Refreshing…" in text and f"2 of {len(rt.catalog.metrics)} metrics done" in text
    # while it runs the page polls every 3 s, then every minute again
    page = _kpi.kpi_page("company_health", {})
    assert f"interval={_kpi.GRID_POLL_REFRESHING_MS}" in str(page)
    rt.refresh()
    rt.coordinator.finish_round()
    cards, interval = _poll_grid(pulse_app.server.test_client(), "company_health")
    assert interval == _kpi.GRID_POLL_MS and "Refreshing" not in json.dumps(cards)


def _poll_grid(client, page: str):
    """The card grid's interval callback through Dash's HTTP endpoint: (cards, next interval ms)."""
    from components import ids

    grid, interval, period = ids.kpi_grid(page), ids.grid_interval(page), ids.delta_period(page)
    dep = next(d for d in client.get("/_dash-dependencies").get_json() if '"kpi-grid"' in d["output"])
    body = {"output": dep["output"],
            "outputs": [{"id": grid, "property": "children"}, {"id": interval, "property": "interval"}],
            "inputs": [{"id": interval, "property": "n_intervals", "value": 1},
                       {"id": period, "property": "value", "value": "month"}],
            "state": [{"id": ids.page_as_of(page), "property": "data", "value": None}],
            "changedPropIds": [json.dumps(interval, separators=(",", ":"), sort_keys=True) + ".n_intervals"]}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)
    out = r.get_json()["response"]
    gid = json.dumps(grid, separators=(",", ":"), sort_keys=True)
    iid = json.dumps(interval, separators=(",", ":"), sort_keys=True)
    return out[gid]["children"], out[iid]["interval"]


@pytest.fixture
def client(pulse_app):
    return pulse_app.server.test_client()


def test_rnd006_api_views_say_not_connected_refreshing_or_not_refreshed(tmp_path, swap_runtime, client):
    # an API source that is not configured: 409 with how to connect it
    r = client.get("/api/metrics/cash_position/views/cash_by_account")
    body = r.get_json()
    assert r.status_code == 409 and body["error"] == "not_connected"
    assert "PULSE_SIMPLEFIN_ACCESS_URL" in body["how"]
    rt = known_runtime(tmp_path)  # nothing refreshed yet
    swap_runtime(rt)
    url = "/api/metrics/win_rate/views/win_rate_by_rep"
    r = client.get(url)
    assert r.status_code == 503 and r.get_json()["error"] == "not_refreshed" and "Retry-After" not in r.headers
    rt.coordinator.start_round(len(rt.catalog.metrics), 1800)
    r = client.get(url)
    body = r.get_json()
    assert r.status_code == 503 and body["error"] == "refreshing"
    assert body["retry_after_s"] == 5 and r.headers["Retry-After"] == "5"
    assert "0 of" in body["message"]
    rt.refresh_everything()
    assert client.get(url).status_code == 200
