"""Threshold alerts (issue 14.6): when a metric's status changes colour, or its value moves more
than X % against the previous period, tell people on Slack and/or by email.

Two kinds of rule (``Rule.kind``):

- ``status_change``: the card's colour (green / yellow / red) changed and stayed changed for
  ``hysteresis`` refreshes in a row (a value flapping across a boundary sends nothing until it
  settles; the first value seen is the baseline, not an alert);
- ``change_pct``: ``|change vs the previous period| > threshold_pct`` (``rule_change``: ratios in
  percentage points, as the cards show them; every other unit relative, in %), again held for
  ``hysteresis`` refreshes; it alerts once when it goes over and re-arms when it is back under.

``evaluate`` is pure (rule, state, the card's snapshot → new state, maybe an ``Alert``); ``deliver``
sends one alert on its channel and returns a ``Delivery`` (never raises: a failed send is recorded and
never stops a refresh). The message names the metric, old → new status, value, target and links to
the drill-down.
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import asdict, dataclass, replace
from typing import Literal

from components import formatting
from data_access.catalog import Metric
from data_access.config import Settings

Kind = Literal["status_change", "change_pct"]
Channel = Literal["email", "slack"]
STATUS_WORD = {"green": "on target", "yellow": "near target", "red": "off target", "nodata": "no data"}


@dataclass(frozen=True)
class Rule:
    """One alert rule: which metric, what condition, which channel (``recipients``: email addresses,
    comma-separated; empty → ``PULSE_ALERT_EMAIL_TO``). ``period`` (``trends.PERIODS``) is what
    ``change_pct`` compares with."""

    id: int
    metric_id: str
    kind: Kind
    channel: Channel
    threshold_pct: float | None = None
    hysteresis: int = 2
    period: str = "month"
    recipients: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class RuleState:
    """What a rule remembers between refreshes: the status it last settled on (``confirmed``), a
    different one it is seeing (``pending``) for ``streak`` refreshes, and for ``change_pct`` whether
    it is over its threshold (``over``). JSON-ready (``asdict``)."""

    confirmed: str | None = None
    pending: str | None = None
    streak: int = 0
    over: bool = False


@dataclass(frozen=True)
class Alert:
    """One notification to send."""

    rule_id: int
    metric_id: str
    title: str
    kind: Kind
    old_status: str | None
    new_status: str
    value_text: str
    target_text: str
    change_text: str | None
    link: str
    as_of: dt.date


def _moved(state: RuleState, now: str | bool, settled, hysteresis: int) -> tuple[RuleState, bool]:
    """Hysteresis on any observation ``now`` against the settled one: True once ``now`` differs from it
    ``hysteresis`` refreshes in a row."""
    if now == settled:
        return replace(state, pending=None, streak=0), False
    streak = state.streak + 1 if state.pending == now else 1
    if streak >= max(1, hysteresis):
        return replace(state, pending=None, streak=0), True
    return replace(state, pending=now, streak=streak), False


def evaluate(rule: Rule, state: RuleState, metric: Metric, value: float | None, target: float, status: str,
             change: float | None, as_of: dt.date, settings: Settings) -> tuple[RuleState, Alert | None]:
    """The rule's new state after one refresh of its metric and the alert it fires, if any. ``change``
    is the card's change vs ``rule.period`` (``trends.change``: pts for ratios, % for USD, the unit
    otherwise), ``None`` without history. A refresh without a value (``status`` nodata) changes nothing."""
    if not rule.enabled or status == "nodata":
        return state, None
    link = f"{settings.link_base()}/{_page_path(metric)}?metric={metric.id}"
    make = lambda old, change_text=None: Alert(  # noqa: E731
        rule.id, metric.id, metric.title, rule.kind, old, status, formatting.value(value, metric.unit),
        formatting.target_text(target, metric.unit, metric.direction), change_text, link, as_of)
    if rule.kind == "status_change":
        if state.confirmed is None:  # the first value seen: the baseline
            return replace(state, confirmed=status, pending=None, streak=0), None
        old = state.confirmed
        state, moved = _moved(state, status, old, rule.hysteresis)
        return (replace(state, confirmed=status), make(old)) if moved else (state, None)
    over = change is not None and abs(change) > (rule.threshold_pct or 0)
    state, moved = _moved(state, over, state.over, rule.hysteresis)
    if not moved:
        return state, None
    state = replace(state, over=over, confirmed=status)
    if not over:
        return state, None  # back under the threshold: re-armed, nothing to say
    from data_access.trends import PERIODS

    return state, make(None, formatting.delta_text(change, _change_unit(metric.unit), PERIODS[rule.period][0]))


def _change_unit(unit: str) -> str:
    return "ratio" if unit == "ratio" else "usd"  # pts for ratios, relative % for everything else


def rule_change(current: float | None, previous: float | None, unit: str) -> float | None:
    """What a ``change_pct`` rule compares with its threshold: the change in percentage points for
    ratios, the relative change in % for every other unit (USD, counts, days, multiples); ``None``
    without a previous value or when it is 0."""
    from data_access.trends import change

    return change(current, previous, _change_unit(unit))


def _page_path(metric: Metric) -> str:
    from data_access.catalog import load_catalog

    return load_catalog().pages[metric.page].path.strip("/")


def message(alert: Alert) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of an alert."""
    if alert.kind == "status_change":
        subject = f"{alert.title} is {STATUS_WORD[alert.new_status]} (was {STATUS_WORD.get(alert.old_status, '—')})"
    else:
        subject = f"{alert.title} moved {alert.change_text}"
    lines = [subject, f"Value {alert.value_text} · {alert.target_text} · as of {formatting.day_text(alert.as_of)}"]
    if alert.change_text and alert.kind == "status_change":
        lines.append(alert.change_text)
    lines.append(f"Details: {alert.link}")
    text = "\n".join(lines)
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines[:-1])
    body += f'<p><a href="{html.escape(alert.link, quote=True)}">Open the drill-down</a></p>'
    return subject, text, body


@dataclass(frozen=True)
class Delivery:
    """What happened to one alert on its channel: ``ok``, or the error (never a secret)."""

    rule_id: int
    metric_id: str
    channel: Channel
    subject: str
    ok: bool
    error: str | None
    sent_at: dt.datetime


def deliver(alert: Alert, rule: Rule, settings: Settings, sleep=None) -> Delivery:
    """Send ``alert`` on ``rule.channel`` (the clients retry with backoff themselves). Never raises: an
    unconfigured channel or a failed send is a ``Delivery`` with ``ok=False`` and the reason."""
    subject, text, body = message(alert)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        if rule.channel == "slack":
            if settings.slack_webhook_url is None:
                raise RuntimeError("Slack is not configured (PULSE_SLACK_WEBHOOK_URL)")
            from integrations.slack import SlackWebhook

            kwargs = {"sleep": sleep} if sleep else {}
            SlackWebhook(settings.slack_webhook_url.get_secret_value(), **kwargs).send(
                f"*{subject}*\n" + "\n".join(text.splitlines()[1:]))
        else:
            from integrations.mailer import send_mail

            to = [a.strip() for a in rule.recipients.split(",") if a.strip()] or settings.alert_email_to
            if not settings.smtp_host or not to:
                raise RuntimeError("email is not configured (PULSE_SMTP_HOST and recipients)")
            send_mail(settings, f"Pulse: {subject}", text, body, to=to)
    except Exception as e:  # noqa: BLE001 — recorded, never raised into a refresh
        return Delivery(rule.id, alert.metric_id, rule.channel, subject, False, str(e)[:300], now)
    return Delivery(rule.id, alert.metric_id, rule.channel, subject, True, None, now)


def state_to_json(state: RuleState) -> dict:
    return asdict(state)


def state_from_json(raw: dict | None) -> RuleState:
    return RuleState(**{k: v for k, v in (raw or {}).items() if k in RuleState.__dataclass_fields__})
