"""Threshold alerts: hysteresis on known sequences, and an alert reaching a real SMTP server and the
Slack fake (pytest-httpserver) with the metric, old → new status, value, target and link."""
from __future__ import annotations

import datetime as dt
from data_access.alerts import Rule, RuleState, deliver, evaluate, message
from data_access.catalog import load_catalog
from data_access.config import Settings
from tests.integration.test_notifiers import HOOK

DAY = dt.date(2026, 11, 21)
SETTINGS = Settings(public_url="https://pulse.example.com")
WIN = load_catalog().metrics["win_rate"]


def _run(rule, observations):
    """Feed (value, status, change) refreshes; return the alerts fired."""
    state, fired = RuleState(), []
    for value, status, change in observations:
        state, alert = evaluate(rule, state, WIN, value, 0.3, status, change, DAY, SETTINGS)
        if alert:
            fired.append(alert)
    return fired


def test_alr001_a_flapping_value_sends_one_alert_not_ten():
    rule = Rule(1, "win_rate", "status_change", "email", hysteresis=2)
    flapping = [(0.31, "green", None)] + [(0.24, "red", None), (0.31, "green", None)] * 10
    assert _run(rule, flapping) == []  # never red twice in a row: nothing
    settled = flapping + [(0.24, "red", None), (0.23, "red", None), (0.22, "red", None)]
    (alert,) = _run(rule, settled)  # red twice in a row: one alert, not one per refresh
    assert (alert.old_status, alert.new_status, alert.value_text) == ("green", "red", "23.0%")
    assert alert.link == "https://pulse.example.com/?metric=win_rate"
    subject, text, html = message(alert)
    assert subject == "Win Rate (90 days) is off target (was on target)"
    assert "Value 23.0% · Target ≥ 30.0% · as of Nov 21, 2026" in text and 'href="https://pulse.example.com/' in html


def test_alr002_change_rule_fires_once_over_the_threshold_and_rearms():
    rule = Rule(2, "win_rate", "change_pct", "slack", threshold_pct=5, hysteresis=1)
    seq = [(0.3, "green", 1.0), (0.36, "green", 6.0), (0.37, "green", 7.0), (0.31, "green", 1.0),
           (0.24, "red", -6.5), (0.24, "red", None)]
    fired = _run(rule, seq)
    assert [a.change_text for a in fired] == ["▲ 6.0 pts vs last month", "▼ 6.5 pts vs last month"]
    assert _run(Rule(3, "win_rate", "status_change", "email", enabled=False), seq) == []


def test_alr003_an_alert_reaches_the_smtp_server_and_slack(smtp_server, httpserver):
    port, inbox = smtp_server
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    settings = Settings(public_url="https://pulse.example.com", smtp_host="127.0.0.1", smtp_port=port,
                        alert_email_to="coo@example.com", slack_webhook_url=httpserver.url_for(HOOK))
    (alert,) = _run(Rule(1, "win_rate", "status_change", "email", hysteresis=1),
                    [(0.31, "green", None), (0.24, "red", None)])
    mail = deliver(alert, Rule(1, "win_rate", "status_change", "email", recipients="ceo@example.com"), settings)
    slack = deliver(alert, Rule(1, "win_rate", "status_change", "slack"), settings)
    assert mail.ok and slack.ok, (mail, slack)
    (msg,) = inbox.messages
    assert msg["To"] == "ceo@example.com" and msg["Subject"] == "Pulse: Win Rate (90 days) is off target (was on target)"
    posted = httpserver.log[0][0].get_json()["text"]
    assert posted.startswith("*Win Rate (90 days) is off target (was on target)*") and "24.0%" in posted
    assert "https://pulse.example.com/?metric=win_rate" in posted


def test_alr004_a_failed_send_is_recorded_not_raised(httpserver):
    httpserver.expect_request(HOOK, method="POST").respond_with_data("no_service", status=404)
    settings = Settings(slack_webhook_url=httpserver.url_for(HOOK), smtp_host="127.0.0.1", smtp_port=9,
                        alert_email_to="a@example.com")
    (alert,) = _run(Rule(1, "win_rate", "status_change", "slack", hysteresis=1),
                    [(0.31, "green", None), (0.24, "red", None)])
    slack = deliver(alert, Rule(1, "win_rate", "status_change", "slack"), settings)
    mail = deliver(alert, Rule(1, "win_rate", "status_change", "email"), settings)
    assert not slack.ok and "404" in slack.error and HOOK not in slack.error
    assert not mail.ok and "127.0.0.1:9" in mail.error
    unconfigured = deliver(alert, Rule(1, "win_rate", "status_change", "slack"), Settings())
    assert not unconfigured.ok and "PULSE_SLACK_WEBHOOK_URL" in unconfigured.error


def test_alr005_the_weekly_digest_mails_company_health_with_deltas(tmp_path, smtp_server):
    import pandas as pd

    from data_access.digest import build_digest, send_digest
    from tests.conftest import known_runtime
    from tests.unit.test_history import _row

    port, inbox = smtp_server
    rt = known_runtime(tmp_path, smtp_host="127.0.0.1", smtp_port=port, alert_email_to="ceo@example.com",
                       public_url="https://pulse.example.com")
    rt.history().write(pd.DataFrame([_row(DAY - dt.timedelta(days=7), value=0.5)]))  # win rate a week ago
    assert all(r.ok for r in rt.refresh_everything())
    subject, text, _ = build_digest(rt)
    assert subject == "Pulse weekly: Company Health, Nov 21, 2026"
    assert "Win Rate (90 days): 66.7% (on target; Target ≥ 30.0%) · ▲ 16.7 pts vs last week" in text
    assert "Net Revenue Retention: 83.3% (off target; Target ≥ 110.0%)\n" in text  # no history: no change
    assert "https://pulse.example.com/" in text
    assert send_digest(rt) is True and send_digest(rt) is False  # once a week across workers
    (msg,) = inbox.messages
    assert msg["Subject"] == subject and msg["To"] == "ceo@example.com"
