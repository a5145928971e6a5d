"""Alerts: what the threshold alert rules sent, what is waiting for a retry and what failed to send
(``data_access.alert_outbox.history``), newest first. Everyone signed in reads it; rules are edited
on Settings › Alert rules (admins)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html
from sqlalchemy.exc import SQLAlchemyError

import auth
from components import formatting, ids
from data_access.alert_outbox import MAX_ATTEMPTS, DeliveryRow, history
from data_access.runtime import get_runtime

dash.register_page(__name__, path="/alerts", name="Alerts", title="Pulse · Alerts", order=85)

FILTERS = [{"label": "All", "value": "all"}, {"label": "Sent", "value": "sent"},
           {"label": "Failed", "value": "failed"}, {"label": "Retrying", "value": "pending"}]


def _relative(link: str) -> str:
    """The drill-down link inside this app (an alert's link is absolute, for email and Slack)."""
    from urllib.parse import urlsplit

    parts = urlsplit(link)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def status_cell(row: DeliveryRow, tz: str):
    """``Sent 14:05`` / ``Failed after 5 attempts`` with the last error / ``Retrying`` with the next time."""
    if row.status == "sent":
        return dbc.Badge("Sent", color="success", title=formatting.local_time(row.sent_at, tz) if row.sent_at else "")
    if row.status == "failed":
        return [dbc.Badge("Failed", color="danger"),
                html.Div(f"after {formatting.plural(row.attempts, 'attempt')}: {row.last_error or 'unknown error'}",
                         className="small text-danger-emphasis")]
    note = (f"attempt {row.attempts + 1} of {MAX_ATTEMPTS} at {formatting.local_time(row.next_attempt_at, tz)}"
            if row.next_attempt_at else "queued")
    return [dbc.Badge("Retrying" if row.attempts else "Queued", color="warning", text_color="dark"),
            html.Div(note + (f" · last error: {row.last_error}" if row.last_error else ""), className="small text-muted")]


def history_table(rows: list[DeliveryRow], catalog, tz: str):
    """The deliveries, newest first (pure)."""
    if not rows:
        return html.P("No alerts yet. Admins add rules on Settings › Alert rules; alerts appear here as they "
                      "are sent.", className="text-muted alerts-empty")
    body = []
    for r in rows:
        metric = catalog.metrics.get(r.metric_id)
        title = metric.title if metric else r.metric_id
        body.append(html.Tr([
            html.Td(formatting.local_time(r.created_at, tz), className="text-nowrap"),
            html.Td(html.A(title, href=_relative(r.link)) if r.link else title),
            html.Td(r.subject),
            html.Td("Slack" if r.channel == "slack" else "Email"),
            html.Td(status_cell(r, tz)),
        ], className=f"alert-row alert-{r.status}"))
    head = html.Thead(html.Tr([html.Th(h) for h in ("When", "Metric", "Alert", "Channel", "Delivery")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, className="alerts-table pulse-surface")


def summary(counts: dict[str, int]) -> str:
    return (f"{formatting.plural(counts['sent'], 'alert')} sent · {counts['failed']} failed · "
            f"{counts['pending']} waiting to send")


def layout(**_query) -> html.Div:
    """Skeleton only; the callback reads the history."""
    links = [html.A("Settings › Alert rules", href="/settings")] if auth.has_role("admin") else []
    return html.Div([
        html.Div([html.H2("Alerts", className="page-title"),
                  html.P(["Notifications from the threshold alert rules: a metric that changed colour or moved "
                          "sharply, on Slack or by email. A send that fails is retried with backoff (1, 2, 4, 8 "
                          "minutes) and then marked failed. ", *links], className="text-muted")],
                 className="page-head"),
        html.Div([
            dbc.RadioItems(id=ids.ALERTS_STATUS, options=FILTERS, value="all", inline=True,
                           className="btn-group", inputClassName="btn-check",
                           labelClassName="btn btn-outline-secondary btn-sm", labelCheckedClassName="active"),
        ], className="mb-3 alerts-filter"),
        dcc.Loading(html.Div(id=ids.ALERTS_HISTORY), type="dot", delay_show=300),
        dcc.Interval(id=ids.ALERTS_INTERVAL, interval=30_000),
    ])


@callback(Output(ids.ALERTS_HISTORY, "children"), Input(ids.ALERTS_STATUS, "value"),
          Input(ids.ALERTS_INTERVAL, "n_intervals"))
def show_history(status, _n):
    """The newest 200 deliveries (of ``status`` unless all), from Pulse's database."""
    rt = get_runtime()
    try:
        rows, counts = history(rt.db(), 200, None if status in (None, "all") else status)
    except SQLAlchemyError as e:
        return dbc.Alert(f"The alert history cannot be read from Pulse's database ({type(e).__name__}); "
                         "run: python -m data_access.db upgrade", color="warning")
    return [html.P(summary(counts), className="fw-semibold alerts-summary"),
            history_table(rows, rt.catalog, rt.settings.timezone)]
