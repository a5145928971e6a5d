"""Settings › Support SLA through the real callbacks: only admins change the targets (hand-made POSTs
from viewers and managers change nothing); a malformed or stale save writes nothing; a save asks the
worker to recompute the metrics whose SQL takes the SLA parameters."""
from __future__ import annotations

import pytest

from data_access.target_store import audit_path, section_revision
from data_access.targets import SupportSlaTargets
from tests.fixtures.auth_files import Recorder, auth_runtime, post_callback

TRUSTED_IP = "10.1.2.3"
SUPPORT_SLA_METRICS = ["ticket_sla_compliance", "first_reply_time_hours"]  # their SQL reads the sla_ parameters


def _as(email):
    return {"environ_base": {"REMOTE_ADDR": TRUSTED_IP}, "headers": {"X-Forwarded-Email": email}}


@pytest.fixture
def proxy(tmp_path, swap_runtime, pulse_app):
    rt = auth_runtime(tmp_path, "proxy")
    rt.coordinator = Recorder()
    swap_runtime(rt)
    return pulse_app.server.test_client(), rt


def _files(rt):
    audit = audit_path(rt.settings.targets_path)
    return rt.settings.targets_path.read_bytes(), audit.read_bytes() if audit.exists() else None


def _save(client, rt, hours: dict, email: str, revision=None):
    """POST the Save with the defaults and ``hours`` ((priority, part) → value) typed over them."""
    typed = {(p, part): v for p, row in SupportSlaTargets().model_dump().items() for part, v in row.items()}
    typed.update(hours)
    state = [[{"id": {"type": "settings-sla-field", "priority": p, "part": part}, "property": "value", "value": v}
              for (p, part), v in typed.items()],
             [{"id": {"type": "settings-sla-revision", "form": "sla"}, "property": "data",
               "value": revision if revision is not None
               else section_revision(rt.targets().targets, "support_sla_targets")}]]
    inputs = [{"id": "settings-sla-save", "property": "n_clicks", "value": 1}]
    r = post_callback(client, "settings-sla-save", "n_clicks", inputs, state, **_as(email))
    assert r.status_code == 200
    return r.get_json()["response"]


@pytest.mark.parametrize("email", ["viewer@x.com", "mgr@x.com"])
def test_slaset101_non_admin_save_is_refused_and_nothing_changes(proxy, email):
    client, rt = proxy
    before = _files(rt)
    body = _save(client, rt, {("urgent", "first_reply_hours"): 2}, email)
    assert body["settings-sla-message"]["children"]["props"]["children"] == "Only admins can change targets."
    assert set(body) == {"settings-sla-message"}
    assert _files(rt) == before and rt.coordinator.requests == []
    assert rt.targets().targets.support_sla_targets == SupportSlaTargets()


def test_slaset102_admin_saves_recomputes_and_bad_input_loses_nothing(proxy):
    client, rt = proxy
    body = _save(client, rt, {("high", "first_reply_hours"): 2.5}, "admin@x.com")
    message = str(body["settings-sla-message"])
    assert "Saved the support SLA targets" in message and "recomputed with the new SLA targets" in message
    assert rt.targets().targets.support_sla_targets.high.first_reply_hours == 2.5
    assert sorted(rt.coordinator.requests) == sorted(SUPPORT_SLA_METRICS)
    assert "high first reply 2 h → 2.5 h" in str(body["settings-history"])
    before = _files(rt)
    for hours, problem in (({("low", "first_reply_hours"): "abc"}, "Low first reply: Must be a number."),
                           ({("urgent", "resolution_hours"): 0.5}, "Urgent: the resolution target"),
                           ({("normal", "first_reply_hours"): -1}, "Normal first reply: Business hours above 0")):
        text = str(_save(client, rt, {("high", "first_reply_hours"): 2.5, **hours}, "admin@x.com")["settings-sla-message"])
        assert "Nothing saved" in text and problem in text
        assert _files(rt) == before
    body = _save(client, rt, {("high", "first_reply_hours"): 3}, "admin@x.com", revision="stale-0000000000")
    assert "changed by someone else" in str(body["settings-sla-message"])
    assert _files(rt) == before and rt.targets().targets.support_sla_targets.high.first_reply_hours == 2.5


def _save_weights(client, rt, weights: dict, email: str, revision=None):
    state = [[{"id": {"type": "settings-health-weight", "metric": m}, "property": "value", "value": v}
              for m, v in weights.items()],
             [{"id": {"type": "settings-health-weights-revision", "form": "health"}, "property": "data",
               "value": revision if revision is not None
               else section_revision(rt.targets().targets, "health_score_weights")}]]
    inputs = [{"id": "settings-health-weights-save", "property": "n_clicks", "value": 1}]
    r = post_callback(client, "settings-health-weights-save", "n_clicks", inputs, state, **_as(email))
    assert r.status_code == 200
    return r.get_json()["response"]


ALL_ZERO = {m: 0 for m in ("contract_spend_pct", "pipeline_coverage", "win_rate", "ticket_sla_compliance", "csat_score")}


def test_slaset103_health_weights_admin_only_validated_and_recomputed(proxy):
    client, rt = proxy
    before = _files(rt)
    body = _save_weights(client, rt, {"win_rate": 3}, "viewer@x.com")
    assert set(body) == {"settings-health-weights-message"} and _files(rt) == before
    body = _save_weights(client, rt, {"win_rate": 3, "csat_score": "", "nrr": 5}, "admin@x.com")  # nrr: not offered
    assert "Saved the health score weights" in str(body["settings-health-weights-message"])
    assert rt.targets().targets.health_score_weights.weights == {"win_rate": 3}
    assert rt.coordinator.requests == ["health_score"]
    assert "weight of Win Rate (90 days) default → 3" in str(body["settings-history"])
    assert "43%" in str(body["settings-health-weights"])  # 3 of 7: win rate's share in force
    before = _files(rt)
    for weights, problem in (({"win_rate": 11}, "Win Rate (90 days): A weight from 0 to 10."),
                             ({"win_rate": "x"}, "Win Rate (90 days): Must be a number."),
                             (ALL_ZERO, "at least one component needs a weight above 0")):
        text = str(_save_weights(client, rt, weights, "admin@x.com")["settings-health-weights-message"])
        assert "Nothing saved" in text and problem in text
        assert _files(rt) == before
    body = _save_weights(client, rt, {"win_rate": 1}, "admin@x.com", revision="stale-0000000000")
    assert "health score weights were changed by someone else" in str(body["settings-health-weights-message"])
    assert _files(rt) == before
