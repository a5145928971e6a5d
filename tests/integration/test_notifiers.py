"""Alert channels against real local servers: a Slack incoming-webhook fake (pytest-httpserver,
Slack's contract: 200 ``ok``, 429 with Retry-After, 404 ``no_service``) and an SMTP server (aiosmtpd)."""
from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from data_access.config import Settings
from integrations.mailer import MailError, send_mail
from integrations.slack import SlackError, SlackWebhook

HOOK = "/services/T000/B000/Secret-Hook-Canary-77"


def _hook(httpserver, waits):
    return SlackWebhook(httpserver.url_for(HOOK), timeout_s=2, attempts=3, backoff_max_s=5, sleep=waits.append)


def test_ntf001_slack_ok_and_rate_limit_with_retry_after(httpserver):
    waits: list[float] = []
    httpserver.expect_ordered_request(HOOK, method="POST").respond_with_response(
        Response("rate_limited", status=429, headers={"Retry-After": "2"}))
    httpserver.expect_ordered_request(HOOK, method="POST", json={"text": "Win rate is red"}).respond_with_data("ok")
    _hook(httpserver, waits).send("Win rate is red")
    assert waits == [2.0]  # Slack's Retry-After, not our backoff
    httpserver.check_assertions()


def test_ntf002_slack_no_service_is_not_retried_and_hides_the_url(httpserver):
    waits: list[float] = []
    httpserver.expect_request(HOOK, method="POST").respond_with_data("no_service", status=404)
    with pytest.raises(SlackError) as e:
        _hook(httpserver, waits).send("x")
    assert e.value.kind == "no_service" and "PULSE_SLACK_WEBHOOK_URL" in str(e.value)
    assert waits == [] and len(httpserver.log) == 1
    assert "Secret-Hook-Canary" not in str(e.value) + repr(_hook(httpserver, waits))


def test_ntf003_slack_server_errors_retry_then_fail_and_long_waits_are_refused(httpserver):
    waits: list[float] = []
    httpserver.expect_request(HOOK, method="POST").respond_with_data("oops", status=503)
    with pytest.raises(SlackError) as e:
        _hook(httpserver, waits).send("x")
    assert e.value.kind == "unavailable" and len(httpserver.log) == 3 and len(waits) == 2
    httpserver.clear()
    httpserver.expect_request(HOOK, method="POST").respond_with_response(
        Response("rate_limited", status=429, headers={"Retry-After": "600"}))
    with pytest.raises(SlackError) as e:
        _hook(httpserver, []).send("x")
    assert e.value.kind == "rate_limited" and len(httpserver.log) == 1


def test_ntf004_email_reaches_a_real_smtp_server(smtp_server):
    port, inbox = smtp_server
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port,
                        alert_email_to="ceo@example.com, coo@example.com", alert_email_from="pulse@example.com")
    send_mail(settings, "Win rate turned red", "Win rate 24.0% (target 30.0%)", "<p>Win rate <b>24.0%</b></p>")
    (msg,) = inbox.messages
    assert msg["Subject"] == "Win rate turned red" and msg["To"] == "ceo@example.com, coo@example.com"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()}
    assert "24.0% (target 30.0%)" in parts["text/plain"] and "<b>24.0%</b>" in parts["text/html"]


def test_ntf005_email_to_a_server_that_is_not_there_fails_clearly():
    settings = Settings(smtp_host="127.0.0.1", smtp_port=9, alert_email_to="a@example.com",
                        smtp_username="u", smtp_password="Smtp-Secret-Canary")
    with pytest.raises(MailError) as e:
        send_mail(settings, "s", "t", timeout_s=2)
    assert "127.0.0.1:9" in str(e.value) and "Canary" not in str(e.value)
