"""Pipeline scenarios through the real callbacks: the Sales toggle switches the figures; only admins
change the weights (hand-made POSTs from viewers and managers change nothing); a malformed weight
saves nothing."""
from __future__ import annotations

import pytest

from data_access.target_store import audit_path, scenarios_revision
from tests.fixtures.auth_files import auth_runtime, post_callback

TRUSTED_IP = "10.1.2.3"


def _as(email):
    return {"environ_base": {"REMOTE_ADDR": TRUSTED_IP}, "headers": {"X-Forwarded-Email": email}}


@pytest.fixture
def proxy(tmp_path, swap_runtime, pulse_app):
    rt = auth_runtime(tmp_path, "proxy")
    swap_runtime(rt)
    return pulse_app.server.test_client(), rt


def _files(rt):
    audit = audit_path(rt.settings.targets_path)
    return rt.settings.targets_path.read_bytes(), audit.read_bytes() if audit.exists() else None


def _save(client, rt, threshold, best: dict, worst: dict, email: str, revision=None):
    stage = lambda kind, values: [{"id": {"type": kind, "stage": s}, "property": "value", "value": v}  # noqa: E731
                                  for s, v in values.items()]
    state = [stage("settings-scenario-threshold", {"threshold": threshold}),
             stage("settings-scenario-best", best), stage("settings-scenario-worst", worst),
             [{"id": {"type": "settings-scenarios-revision", "stage": "revision"}, "property": "data",
               "value": revision if revision is not None else scenarios_revision(rt.targets().targets)}]]
    inputs = [{"id": "settings-scenarios-save", "property": "n_clicks", "value": 1}]
    r = post_callback(client, "settings-scenarios-save", "n_clicks", inputs, state, **_as(email))
    assert r.status_code == 200
    return r.get_json()["response"]


def test_scen101_toggle_switches_the_scenario_figures(pulse_app):
    client = pulse_app.server.test_client()
    shown = {}
    for scenario in ("base", "commit", "best", "worst"):
        inputs = [{"id": "sales-scenario", "property": "value", "value": scenario},
                  {"id": {"type": "grid-interval", "page": "sales"}, "property": "n_intervals", "value": 0}]
        r = post_callback(client, "sales-scenario", "value", inputs)
        assert r.status_code == 200
        figure = r.get_json()["response"]["sales-scenario-figure"]["figure"]
        shown[scenario] = round(sum(figure["data"][1]["y"]))
        assert "min(1" in figure["data"][1]["customdata"][0]
    # the known company's Q4 open deals (tests/unit/test_pipeline_scenarios.py)
    assert shown == {"base": 6800, "commit": 0, "best": 8500, "worst": 5100}


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_scen102_non_admin_scenario_save_is_refused_and_nothing_changes(proxy, email):
    client, rt = proxy
    before = _files(rt)
    body = _save(client, rt, 50, {"Proposal": 2}, {}, email)
    assert body["settings-scenarios-message"]["children"]["props"]["children"] == "Only admins can change targets."
    assert set(body) == {"settings-scenarios-message"}
    assert _files(rt) == before
    assert rt.targets().targets.pipeline_scenarios.commit_threshold == 0.7


def test_scen103_admin_saves_and_a_malformed_weight_loses_nothing(proxy):
    client, rt = proxy
    body = _save(client, rt, 50, {"Proposal": 1.5}, {"Qualified": 0.5}, "admin@x.com")
    assert "Saved the pipeline scenarios" in str(body["settings-scenarios-message"])
    assert rt.targets().targets.pipeline_scenarios.commit_threshold == 0.5
    before = _files(rt)
    for best in ({"Proposal": "abc"}, {"Proposal": -1}, {"Proposal": 99}):
        body = _save(client, rt, 50, best, {}, "admin@x.com")
        text = str(body["settings-scenarios-message"])
        assert "Nothing saved" in text and "Best weight of Proposal" in text
        assert _files(rt) == before
    body = _save(client, rt, 60, {}, {}, "admin@x.com", revision="stale-0000000000")
    assert "changed by someone else" in str(body["settings-scenarios-message"])
    assert _files(rt) == before and rt.targets().targets.pipeline_scenarios.best_weights == {"Proposal": 1.5}
