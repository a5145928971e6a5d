"""Alert rules as governed data and the alert queue, on SQLite and PostgreSQL: audited writes, stale
edits refused, malformed rules rejected with a message (nothing written), a rule firing after a
refresh, and its delivery sent to the Slack fake or retried with backoff until it is marked failed."""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access import alert_outbox, alert_rules
from data_access.alert_rules import RuleError, check_rule
from data_access.catalog import load_catalog
from data_access.config import Settings
from data_access.coordination import MemoryCoordinator
from data_access.db import AlertDelivery, AlertRule, AlertState, AuditEvent, StaleEdit, session_scope
from tests.conftest import known_runtime
from tests.integration.test_notifiers import HOOK

CATALOG = load_catalog()
GOOD = {"metric_id": "win_rate", "condition_kind": "status_change", "threshold": None, "hysteresis_refreshes": 2,
        "period": "month", "channel": "email", "recipients": "CEO@Example.com, coo@example.com", "enabled": True}


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """The hand-built company, refreshed once (its cards in the frame cache)."""
    rt = known_runtime(tmp_path_factory.mktemp("alerts"))
    assert all(r.ok for r in rt.refresh_everything())
    return rt


@pytest.fixture(autouse=True)
def fresh_claims(request):
    """Send claims are per delivery id, and each backend's ids start at 1: a coordinator per test."""
    if "refreshed" in request.fixturenames:
        request.getfixturevalue("refreshed").coordinator = MemoryCoordinator()


def _set_win_rate_target(rt, target: float) -> None:
    path = rt.settings.targets_path
    path.write_text(json.dumps({"revenue_plan": {"monthly_usd": 2000}, "metrics": {"win_rate": {"target": target}}}))
    stamp = path.stat().st_mtime + 1 + target  # a new mtime however fast the test runs
    os.utime(path, (stamp, stamp))


def _count(engine, model) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_dba001_writes_are_audited_and_a_stale_edit_loses_nothing(migrated):
    rule = alert_rules.create_rule(migrated, check_rule(GOOD, CATALOG), "admin@x.com")
    assert rule.recipients == "CEO@example.com, coo@example.com" and rule.version == 1 and rule.threshold is None
    edit = check_rule({**GOOD, "condition_kind": "change_pct", "threshold": "12.5", "channel": "slack",
                       "recipients": ""}, CATALOG)
    saved = alert_rules.update_rule(migrated, rule.id, 1, edit, "admin@x.com")
    assert (saved.version, saved.condition_kind, saved.threshold, saved.channel) == (2, "change_pct", 12.5, "slack")
    with pytest.raises(StaleEdit, match="changed by someone else — reload"):  # loaded at version 1
        alert_rules.update_rule(migrated, rule.id, 1, check_rule(GOOD, CATALOG), "other@x.com")
    assert alert_rules.get_rule(migrated, rule.id) == saved  # the first save is kept
    with pytest.raises(StaleEdit):
        alert_rules.delete_rule(migrated, rule.id, 1, "other@x.com")
    alert_rules.delete_rule(migrated, rule.id, 2, "admin@x.com")
    assert alert_rules.list_rules(migrated) == []
    with session_scope(migrated) as s:
        events = [(e.actor, e.action, (e.before or {}).get("threshold"), (e.after or {}).get("threshold"))
                  for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events == [("admin@x.com", "create", None, None), ("admin@x.com", "update", None, 12.5),
                      ("admin@x.com", "delete", 12.5, None)]


@pytest.mark.parametrize("change, field, message", [
    ({"metric_id": "no_such_metric"}, "metric_id", "Not a metric of this catalog"),
    ({"metric_id": ""}, "metric_id", "Field required"),
    ({"condition_kind": "sometimes"}, "condition_kind", "Choose one of the options"),
    ({"condition_kind": "change_pct", "threshold": None}, "threshold", "A change rule needs a threshold above 0"),
    ({"condition_kind": "change_pct", "threshold": "-3"}, "threshold", "Input should be greater than 0"),
    ({"condition_kind": "change_pct", "threshold": "ten"}, "threshold", "Enter a number"),
    ({"condition_kind": "change_pct", "threshold": "nan"}, "threshold", "Input should be a finite number"),
    ({"condition_kind": "change_pct", "threshold": 5000}, "threshold", "Input should be less than or equal to 1000"),
    ({"hysteresis_refreshes": 0}, "hysteresis_refreshes", "Input should be greater than or equal to 1"),
    ({"hysteresis_refreshes": "2.5"}, "hysteresis_refreshes", "Enter a whole number"),
    ({"period": "fortnight"}, "period", "Choose one of the options"),
    ({"channel": "pager"}, "channel", "Choose one of the options"),
    ({"recipients": "ceo@example.com, not an address"}, "recipients", "'not an address' is not an email address"),
    ({"channel": "slack"}, "recipients", "Slack alerts go to the webhook's channel; leave recipients empty"),
    ({"owner": "x"}, "owner", "Not a field of a rule"),
])
def test_dba002_a_malformed_rule_is_refused_with_a_message(change, field, message):
    with pytest.raises(RuleError) as e:
        check_rule({**GOOD, **change}, CATALOG)
    assert e.value.errors[field].startswith(message), e.value.errors


TEXT = st.one_of(st.none(), st.text(max_size=40), st.integers(-10, 10_000).map(str),
                 st.floats(allow_nan=True, allow_infinity=True).map(str))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({k: TEXT for k in GOOD}))
def test_dba003_any_form_is_a_valid_rule_or_a_message(raw):
    try:
        rule = check_rule(raw, CATALOG)
    except RuleError as e:
        assert e.errors and all(isinstance(v, str) and v for v in e.errors.values())
        return
    assert rule.metric_id in CATALOG.metrics and 1 <= rule.hysteresis_refreshes <= 20
    assert rule.condition_kind == "status_change" or 0 < rule.threshold <= 1000


def test_dba004_a_rule_fires_after_refreshes_and_the_queue_sends_it(migrated, refreshed, httpserver):
    rt = refreshed
    _set_win_rate_target(rt, 0.01)  # green
    rule = alert_rules.create_rule(migrated, check_rule({**GOOD, "channel": "slack", "recipients": "",
                                                         "hysteresis_refreshes": 2}, CATALOG), "admin@x.com")
    assert alert_outbox.check_alerts(rt, ["win_rate"], migrated) == 0  # the baseline
    _set_win_rate_target(rt, 0.99)  # red from now on
    assert alert_outbox.check_alerts(rt, ["win_rate"], migrated) == 0  # once: not yet settled
    assert alert_outbox.check_alerts(rt, ["win_rate", "pipeline_coverage"], migrated) == 1
    assert alert_outbox.check_alerts(rt, ["win_rate"], migrated) == 0  # red again: nothing new
    with session_scope(migrated) as s:
        assert s.get(AlertState, rule.id).state["confirmed"] == "red"
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    rt.settings = Settings(**{**rt.settings.model_dump(), "slack_webhook_url": httpserver.url_for(HOOK),
                              "public_url": "https://pulse.example.com"})
    assert alert_outbox.send_pending(rt, migrated) == 1
    assert alert_outbox.send_pending(rt, migrated) == 0  # sent once
    text = httpserver.log[0][0].get_json()["text"]
    assert text.startswith("*Win Rate (90 days) is off target (was on target)*") and "Target ≥ 99.0%" in text
    rows, counts = alert_outbox.history(migrated)
    assert [(r.metric_id, r.channel, r.status, r.attempts) for r in rows] == [("win_rate", "slack", "sent", 1)]
    assert counts == {"sent": 1, "failed": 0, "pending": 0} and rows[0].link.endswith("?metric=win_rate")
    alert_rules.delete_rule(migrated, rule.id, 1, "admin@x.com")  # its state goes, its history stays
    assert _count(migrated, AlertState) == 0 and _count(migrated, AlertDelivery) == 1


def test_dba005_a_failing_channel_is_retried_with_backoff_then_marked_failed(migrated, refreshed):
    rt = refreshed
    rt.settings = Settings(**{**rt.settings.model_dump(), "smtp_host": "127.0.0.1", "smtp_port": 9,  # nothing there
                              "alert_email_to": ["coo@example.com"]})
    _set_win_rate_target(rt, 0.01)
    alert_rules.create_rule(migrated, check_rule({**GOOD, "hysteresis_refreshes": 1}, CATALOG), "admin@x.com")
    alert_outbox.check_alerts(rt, ["win_rate"], migrated)
    _set_win_rate_target(rt, 0.99)
    assert alert_outbox.check_alerts(rt, ["win_rate"], migrated) == 1
    now = dt.datetime.now(dt.timezone.utc)
    waits = []
    for attempt in range(1, alert_outbox.MAX_ATTEMPTS + 1):
        assert alert_outbox.send_pending(rt, migrated, now=now) == 1
        assert alert_outbox.send_pending(rt, migrated, now=now) == 0  # not due again before its backoff
        with session_scope(migrated) as s:
            row = s.scalars(select(AlertDelivery)).one()
            assert row.attempts == attempt and "127.0.0.1:9" in row.last_error
            if row.status == "pending":
                waits.append(round((row.next_attempt_at - now).total_seconds() / 60))
                now = row.next_attempt_at
    assert waits == [1, 2, 4, 8] and row.status == "failed"
    rows, counts = alert_outbox.history(migrated)
    assert counts == {"sent": 0, "failed": 1, "pending": 0} and rows[0].next_attempt_at is None


def test_dba006_a_refresh_evaluates_rules_and_a_broken_database_never_fails_it(refreshed, tmp_path):
    rt = refreshed
    engine = rt.db()  # the run's migrated database (tests/conftest.py)
    _set_win_rate_target(rt, 0.01)
    rule = alert_rules.create_rule(engine, check_rule({**GOOD, "hysteresis_refreshes": 1}, CATALOG), "admin@x.com")
    try:
        rt.record_history(["win_rate"])
        with session_scope(engine) as s:
            assert s.get(AlertState, rule.id).state["confirmed"] == "green"
        assert rt.store.get_outcome("system/alerts")["ok"] is True
        broken = type(rt)(Settings(**{**rt.settings.model_dump(), "database_url": f"sqlite:///{tmp_path / 'x.db'}"}),
                          rt.catalog, rt.store)  # a database nobody migrated
        assert broken.record_history(["win_rate"]) > 0  # history written, the refresh goes on
        outcome = rt.store.get_outcome("system/alerts")
        assert outcome["ok"] is False and outcome["error_class"] == "OperationalError"
    finally:
        with session_scope(engine) as s:
            s.delete(s.get(AlertRule, rule.id))
