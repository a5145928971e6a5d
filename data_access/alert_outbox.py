"""Threshold alerts at run time (issue 14.6): after each refresh of a metric the worker evaluates its
rules against the fresh card and queues what fires; a separate job sends the queue.

``check_alerts`` (called by ``Runtime.record_history`` after every refresh) reads the card from the
frame cache (``metrics.snapshot``, ``trends.trend``), moves each rule's state (``alert_state``) and
queues an ``alert_delivery`` row per alert — state and queue in one transaction, so a crash never
sends an alert twice or forgets one. It sends nothing itself: a slow or failing channel never holds a
refresh up. ``send_pending`` (a worker job every ``SEND_POLL_S``) sends the due rows once across
workers (a claim per attempt), retrying a failure with backoff (1, 2, 4, 8 minutes) until
``MAX_ATTEMPTS``, then marks it ``failed``; the alert history page lists them (``history``).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, fields

from sqlalchemy import Engine, func, select

from data_access import alerts
from data_access.alert_rules import list_rules
from data_access.db import AlertDelivery, AlertState, session_scope, utcnow
from data_access.metrics import snapshot
from data_access.trends import trend

log = logging.getLogger(__name__)

SEND_POLL_S = 30
MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 2, 4, 8)  # after attempt 1, 2, 3, 4
CLAIM_TTL_S = 300


def check_alerts(rt, metric_ids, engine: Engine | None = None) -> int:
    """Evaluate the enabled rules on ``metric_ids`` against their cards as the cache holds them now;
    persist each rule's new state and queue the alerts that fire. Returns how many were queued.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database failed (nothing of this evaluation is written);
            ``Runtime.record_history`` logs it and the refresh goes on.
    """
    engine = engine or rt.db()
    rules = [r for r in list_rules(engine, set(metric_ids), enabled_only=True) if r.metric_id in rt.catalog.metrics]
    if not rules:
        return 0
    targets, today, queued = rt.targets().targets, rt.today(), 0
    with session_scope(engine) as s:
        stored = {st.rule_id: st for st in s.scalars(select(AlertState).where(
            AlertState.rule_id.in_([r.id for r in rules])))}
        for row in rules:
            metric = rt.catalog.metrics[row.metric_id]
            snap = snapshot(metric, rt.store, targets, today)
            change = None
            if snap.as_of is not None and snap.value is not None:
                change = alerts.rule_change(snap.value, trend(rt.store, metric.id, snap.as_of, row.period).previous,
                                            metric.unit)
            before = alerts.state_from_json(stored[row.id].state if row.id in stored else None)
            state, alert = alerts.evaluate(row.as_rule(), before, metric, snap.value, snap.target, snap.status,
                                           change, snap.as_of or today, rt.settings)
            if row.id in stored:
                if state != before:
                    stored[row.id].state = alerts.state_to_json(state)
            else:
                s.add(AlertState(rule_id=row.id, state=alerts.state_to_json(state)))
            if alert is not None:
                subject, _, _ = alerts.message(alert)
                s.add(AlertDelivery(rule_id=row.id, metric_id=metric.id, channel=row.channel,
                                    recipients=row.recipients, subject=subject, as_of=alert.as_of,
                                    payload=_alert_json(alert), status="pending", attempts=0))
                queued += 1
    if queued:
        log.info("alerts: %d queued for %s", queued, ", ".join(sorted(set(metric_ids))))
    return queued


def _alert_json(alert: alerts.Alert) -> dict:
    data = asdict(alert)
    data["as_of"] = alert.as_of.isoformat()
    return data


def _alert_from_json(data: dict) -> alerts.Alert:
    names = {f.name for f in fields(alerts.Alert)}
    values = {k: v for k, v in data.items() if k in names}
    values["as_of"] = dt.date.fromisoformat(values["as_of"])
    return alerts.Alert(**values)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def send_pending(rt, engine: Engine | None = None, now: dt.datetime | None = None, sleep=None) -> int:
    """Send every queued alert that is due (worker job). Each attempt is claimed across workers first;
    a failed send is retried after a backoff, and after ``MAX_ATTEMPTS`` it is ``failed`` with its last
    error. Returns how many attempts ran. Never raises for a channel's failure."""
    engine = engine or rt.db()
    now = now or utcnow()
    with session_scope(engine) as s:
        due = s.execute(select(AlertDelivery.id, AlertDelivery.attempts).where(
            AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now)
            .order_by(AlertDelivery.id).limit(100)).all()
    ran = 0
    for delivery_id, attempts in due:
        if not rt.coordinator.claim(f"alert-send:{delivery_id}:{attempts}", ttl_s=CLAIM_TTL_S):
            continue  # another worker is sending this attempt
        with session_scope(engine) as s:
            row = s.get(AlertDelivery, delivery_id)
            if row is None or row.status != "pending" or row.attempts != attempts:
                continue
            alert = _alert_from_json(row.payload)
            rule = alerts.Rule(row.rule_id or 0, row.metric_id, alert.kind, row.channel,  # type: ignore[arg-type]
                               recipients=row.recipients)
        result = alerts.deliver(alert, rule, rt.settings, sleep=sleep)
        ran += 1
        with session_scope(engine) as s:
            row = s.get(AlertDelivery, delivery_id)
            row.attempts = attempts + 1
            if result.ok:
                row.status, row.sent_at, row.last_error = "sent", result.sent_at, None
            else:
                row.last_error = result.error
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                else:
                    row.next_attempt_at = now + _backoff(row.attempts)
        if result.ok:
            log.info("alert sent on %s: %s", result.channel, result.subject)
        else:
            log.warning("alert not sent on %s (attempt %d of %d): %s", result.channel, attempts + 1, MAX_ATTEMPTS,
                        result.error)
    return ran


@dataclass(frozen=True)
class DeliveryRow:
    """One line of the alert history: ``status`` sent | failed | pending (``next_attempt_at`` set while
    a retry is due); ``last_error`` never holds a secret (``alerts.deliver``)."""

    id: int
    created_at: dt.datetime
    metric_id: str
    channel: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    link: str


def history(engine: Engine, limit: int = 200, status: str | None = None) -> tuple[list[DeliveryRow], dict[str, int]]:
    """The newest ``limit`` deliveries (``status``: only those), newest first, and the count per status
    over all of them."""
    query = select(AlertDelivery).order_by(AlertDelivery.created_at.desc(), AlertDelivery.id.desc()).limit(limit)
    if status:
        query = query.where(AlertDelivery.status == status)
    with session_scope(engine) as s:
        rows = [DeliveryRow(r.id, r.created_at, r.metric_id, r.channel, r.subject, r.status, r.attempts, r.last_error,
                            r.sent_at, r.next_attempt_at if r.status == "pending" else None,
                            (r.payload or {}).get("link", ""))
                for r in s.scalars(query)]
        counts = dict(s.execute(select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)).all())
    return rows, {k: int(counts.get(k, 0)) for k in ("sent", "failed", "pending")}
