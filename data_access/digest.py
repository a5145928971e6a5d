"""The weekly digest (issue 14.6): every Monday at 08:00 company time the worker mails the Company
Health cards — value, status, target and the change vs last week — to ``PULSE_ALERT_EMAIL_TO``.

Read from the frame cache like the pages (``metrics.snapshot``, ``trends``); one send per week across
workers (a claim in the coordinator).
"""
from __future__ import annotations

import html
import logging

from components import formatting
from data_access.alerts import STATUS_WORD
from data_access.metrics import snapshot
from data_access.trends import PERIODS, change, trend

log = logging.getLogger(__name__)

DIGEST_PAGE = "company_health"
DIGEST_PERIOD = "week"
DIGEST_CRON = {"day_of_week": "mon", "hour": 8, "minute": 0}


def build_digest(rt, page: str = DIGEST_PAGE, period: str = DIGEST_PERIOD) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the digest of ``page``'s cards as the cache holds them now; a card
    without a value says "no data", a card without history a week back has no change."""
    today = rt.today()
    label = PERIODS[period][0]
    rows = []
    for metric in rt.catalog.metrics_on(page):
        snap = snapshot(metric, rt.store, rt.targets().targets, today)
        value = formatting.value(snap.value, metric.unit) if snap.status != "nodata" else "no data"
        delta = None
        if snap.as_of is not None:
            tr = trend(rt.store, metric.id, snap.as_of, period)
            delta = formatting.delta_text(change(snap.value, tr.previous, metric.unit), metric.unit, label)
        rows.append((metric.title, value, STATUS_WORD[snap.status],
                     formatting.target_text(snap.target, metric.unit, metric.direction), delta or ""))
    title = rt.catalog.pages[page].title
    subject = f"Pulse weekly: {title}, {formatting.day_text(today)}"
    off = sum(r[2] == "off target" for r in rows)
    lead = f"{len(rows)} cards, {off} off target. {rt.settings.link_base()}{rt.catalog.pages[page].path}"
    text = "\n".join([subject, lead, ""] + [f"{t}: {v} ({s}; {tg}){' · ' + d if d else ''}" for t, v, s, tg, d in rows])
    cells = "".join(f"<tr><td>{html.escape(t)}</td><td><b>{html.escape(v)}</b></td><td>{html.escape(s)}</td>"
                    f"<td>{html.escape(tg)}</td><td>{html.escape(d)}</td></tr>" for t, v, s, tg, d in rows)
    body = (f"<p>{html.escape(lead)}</p><table><tr><th>Metric</th><th>Value</th><th>Status</th><th>Target</th>"
            f"<th>Change vs {html.escape(label)}</th></tr>{cells}</table>")
    return subject, text, body


def send_digest(rt) -> bool:
    """The Monday job: build and mail the digest once per week across workers. Returns True when sent;
    False when email is not configured, another worker sent it, or the send failed (logged)."""
    from integrations.mailer import MailError, is_configured, send_mail

    if not is_configured(rt.settings):
        return False
    if not rt.coordinator.claim(f"digest:{rt.today().isoformat()}", ttl_s=6 * 3600):
        return False
    subject, text, body = build_digest(rt)
    try:
        send_mail(rt.settings, subject, text, body)
    except MailError as e:
        log.warning("weekly digest not sent: %s", e)
        return False
    log.info("weekly digest sent to %d recipients", len(rt.settings.alert_email_to))
    return True
