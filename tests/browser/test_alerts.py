"""Alert rules in headless Chromium: an admin adds a rule on Settings › Alert rules (a malformed threshold
is refused with a message and nothing is written), edits it, and the audit shows both; the Alerts page
lists what the rule sent and what failed to send."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from data_access import alert_outbox
from data_access.db import AlertRule, AuditEvent, session_scope
from tests.browser.test_settings import _click, _nav, _tab, _type
from tests.conftest import known_runtime, migrated_sqlite
from tests.db.test_alert_rules import _set_win_rate_target
from tests.fixtures.auth_files import refresh_page


def _field(name: str) -> str:
    return "[id='" + json.dumps({"field": name, "type": "alert-rule-field"}, separators=(",", ":"),
                                sort_keys=True) + "']"


def _feedback(name: str) -> str:
    return "[id='" + json.dumps({"field": name, "type": "alert-rule-feedback"}, separators=(",", ":"),
                                sort_keys=True) + "']"


def _radio(dash_duo, name: str, label: str) -> None:
    box = next(el for el in dash_duo.find_elements(f"{_field(name)} .form-check") if el.text == label)
    dash_duo.driver.execute_script("arguments[0].click();", box.find_element("css selector", "input"))


def _runtime(tmp_path, **extra):
    url = migrated_sqlite(tmp_path)
    rt = known_runtime(tmp_path, database_url=url, **extra)
    refresh_page(rt)
    return rt


def test_alr101_admin_adds_and_edits_a_rule_and_the_audit_shows_it(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = _runtime(tmp_path)
    swap_runtime(rt)
    dash_duo.driver.set_window_size(1440, 1000)
    dash_duo.start_server(pulse_app)
    dash_duo.wait_for_text_to_equal("#auth-badge", "local mode — no sign-in", timeout=10)
    _nav(dash_duo, "Settings")
    dash_duo.wait_for_element(".settings-tabs", timeout=10)
    _tab(dash_duo, "Alert rules")
    dash_duo.wait_for_contains_text("#alert-rules", "No alert rules yet", timeout=10)

    _click(dash_duo, "#alert-rule-add")
    dash_duo.wait_for_text_to_equal("#alert-rule-title", "New alert rule", timeout=8)
    dash_duo.select_dcc_dropdown(_field("metric_id"), value="Win Rate (90 days) · Company Health")
    _radio(dash_duo, "condition_kind", "It moves more than a threshold vs a previous period")
    dash_duo.wait_for_element(f"{_field('threshold')}:not([disabled])", timeout=8)
    _type(dash_duo, _field("threshold"), "five")
    _type(dash_duo, _field("recipients"), "ceo@example.com, not-an-address")
    _click(dash_duo, "#alert-rule-save")
    dash_duo.wait_for_text_to_equal(_feedback("threshold"), "Enter a number", timeout=8)
    assert dash_duo.find_element(_feedback("recipients")).text.startswith("'not-an-address' is not an email address")
    assert "Nothing saved" in dash_duo.find_element("#alert-rule-form-message").text
    with session_scope(rt.db()) as s:
        assert s.scalars(select(AlertRule)).all() == []  # nothing written

    _type(dash_duo, _field("threshold"), "5")
    _type(dash_duo, _field("recipients"), "CEO@example.com")
    _click(dash_duo, "#alert-rule-save")
    dash_duo.wait_for_contains_text("#alert-rules-message", "Added the rule on Win Rate (90 days).", timeout=8)
    dash_duo.wait_for_contains_text("#alert-rules", "Moves more than 5 pts vs last month", timeout=8)
    assert "Email → CEO@example.com" in dash_duo.find_element("#alert-rules").text

    edit = dash_duo.find_element(".alert-rules-table button")
    dash_duo.driver.execute_script("arguments[0].click();", edit)
    dash_duo.wait_for_text_to_equal("#alert-rule-title", "Edit alert rule", timeout=8)
    assert dash_duo.find_element(_field("threshold")).get_attribute("value") == "5"
    _type(dash_duo, _field("hysteresis_refreshes"), "3")
    _click(dash_duo, "#alert-rule-save")
    dash_duo.wait_for_contains_text("#alert-rules-message", "Saved the rule on Win Rate (90 days).", timeout=8)
    dash_duo.wait_for_contains_text("#alert-rules", "3 refreshes", timeout=8)
    changes = dash_duo.find_element("#alert-rules").text
    assert "Edited Win Rate (90 days): moves more than 5 pts vs last month, email (refreshes in a row)" in changes
    assert "Added Win Rate (90 days)" in changes and "local admin" in changes
    with session_scope(rt.db()) as s:
        (rule,) = s.scalars(select(AlertRule)).all()
        assert (rule.threshold, rule.hysteresis_refreshes, rule.version, rule.recipients) == (5.0, 3, 2, "CEO@example.com")
        events = [(e.action, (e.after or {}).get("hysteresis_refreshes")) for e in
                  s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events == [("create", 2), ("update", 3)]
    assert dash_duo.get_logs() == []


def test_alr102_the_alerts_page_lists_what_was_sent_and_what_failed(dash_duo, pulse_app, swap_runtime, tmp_path,
                                                                      smtp_server):
    port, inbox = smtp_server
    rt = _runtime(tmp_path, smtp_host="127.0.0.1", smtp_port=port, alert_email_to="coo@example.com")
    from data_access.alert_rules import check_rule, create_rule
    from data_access.catalog import load_catalog

    catalog = load_catalog()
    for channel in ("email", "slack"):  # Slack is not configured here: its send fails
        create_rule(rt.db(), check_rule({"metric_id": "win_rate", "condition_kind": "status_change",
                                         "hysteresis_refreshes": 1, "channel": channel}, catalog), "admin@x.com")
    for target in (0.01, 0.99):  # green, then red
        _set_win_rate_target(rt, target)
        rt.check_alerts(["win_rate"])
    now = dt.datetime.now(dt.timezone.utc)
    assert alert_outbox.send_pending(rt, now=now) == 2
    assert len(inbox.messages) == 1
    swap_runtime(rt)
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(pulse_app)
    _nav(dash_duo, "Alerts")
    dash_duo.wait_for_text_to_equal(".alerts-summary", "1 alert sent · 0 failed · 1 waiting to send", timeout=10)
    rows = dash_duo.find_elements(".alerts-table tbody tr")
    texts = sorted(r.text for r in rows)
    assert len(rows) == 2
    assert "Win Rate (90 days) is off target (was on target)" in texts[0] and "Sent" in texts[0]
    assert "Retrying" in texts[1] and "attempt 2 of 5" in texts[1] and "Slack is not configured" in texts[1]
    assert dash_duo.find_element(".alerts-table a").get_attribute("href").endswith("/?metric=win_rate")
    assert dash_duo.get_logs() == []
