"""Status: every metric's refresh state and the worker heartbeat, problems first."""
from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from components import formatting, ids
from components import status as status_parts
from data_access.runtime import get_runtime
from data_access.status import status_report

dash.register_page(__name__, path="/status", name="Status", title="Pulse · Status", order=90)



def _when(iso: str | None, tz: str):
    """Local time, with how long ago on a second line (keeps the table narrow enough for a laptop)."""
    if not iso:
        return "—"
    at = dt.datetime.fromisoformat(iso)
    return [html.Div(formatting.local_time(at, tz), className="text-nowrap"),
            html.Div(formatting.age_text(at), className="small text-muted")]


CRITICALITY_COLOR = {"critical": "danger", "high": "warning", "medium": "secondary", "low": "light"}


def _badge(state: str, label: str | None = None):
    text, color = status_parts.STATE_BADGE[state]
    if color == "light":  # light: dark text, or it vanishes
        return dbc.Badge(label or text, color=color, text_color="dark", className="border status-badge")
    return dbc.Badge(label or text, color=color, className="status-badge")


def status_body() -> list:
    """Worker line, summary and the frames table, from the cache and coordinator only."""
    rt = get_runtime()
    report = status_report(rt)
    tz = rt.settings.timezone
    w = report["worker"]
    if w["mode"] == "embedded":
        worker = "Embedded scheduler (in this web process)"
    elif w["last_seen"]:
        worker = f"Worker last seen {formatting.age_text(dt.datetime.fromisoformat(w['last_seen']))}"
    else:
        worker = "No worker heartbeat"
    head = [
        dbc.Badge("Healthy" if report["healthy"] else "Needs attention",
                  color="success" if report["healthy"] else "danger", className="me-2"),
        html.Span(status_parts.summary(report["frames"]), className="me-3 fw-semibold status-summary"),
        html.Span(worker, className="me-3"),
        html.Span(f"Warehouse: {report['warehouse']} · as of {report['as_of']} · catalog {report['catalog_version']}",
                  className="text-muted"),
    ]
    alerts = []
    if not report["cache_available"]:
        alerts.append(dbc.Alert("The frame cache (Redis) is unreachable.", color="warning"))
    if w["mode"] == "redis" and not w["alive"] and report["cache_available"]:
        alerts.append(dbc.Alert(
            [html.Strong("The refresh worker is not running. "),
             f"{worker}. Cards keep their last values, but nothing refreshes (and \"Refresh now\" waits) "
             "until a worker is back: start ", html.Code("python worker.py"), " beside the web processes."],
            color="danger", className="status-worker-down"))
    if report["targets_error"]:
        alerts.append(dbc.Alert(report["targets_error"], color="warning"))
    for problem in report["pipeline_problems"]:
        alerts.append(dbc.Alert([html.Strong("Pipeline settings: "), problem, ". The metrics on these deals say "
                                 "\"No deals\" until it is set; ", html.Code("python -m data_access.check"),
                                 " prints the setting to use."], color="danger", className="status-pipeline"))
    bytes_col = any(f["bytes_processed"] for f in report["frames"])  # BigQuery only: no empty column
    rows = []
    for f in report["frames"]:
        cells = [
            html.Td(_badge(f["state"])),
            html.Td([html.Div(f["frame"], className="fw-semibold"),
                     html.Div(", ".join(f["metrics"]) + f" · {f['source']} · {' / '.join(f['owners'])}",
                              className="small text-muted")]),
            html.Td(dbc.Badge(f["criticality"].capitalize(), color=CRITICALITY_COLOR[f["criticality"]],
                              text_color="dark" if f["criticality"] in ("high", "low") else None,
                              className="status-criticality")),
            html.Td(_when(f["last_success"], tz), className="text-nowrap"),
            html.Td(_when(f["last_attempt"], tz), className="text-nowrap"),
            html.Td(f"{f['duration_s'] * 1000:,.0f} ms" if f["duration_s"] is not None else "—",
                    className="text-end text-nowrap"),
            html.Td(f"{f['rows']:,}" if f["rows"] is not None else "—", className="text-end text-nowrap"),
        ]
        if bytes_col:
            cells.append(html.Td(f"{f['bytes_processed']:,}" if f["bytes_processed"] else "—",
                                 className="text-end text-nowrap"))
        cells += [html.Td(formatting.sla_text(f["sla_minutes"]), className="text-end text-nowrap"),
                  html.Td(status_parts.message(f), className="small status-message")]
        rows.append(html.Tr(cells))
    heads = ["State", "Frame", "Criticality", "Last success", "Last attempt", "Duration", "Rows"] + \
        (["Bytes processed"] if bytes_col else []) + ["SLA", "Details"]
    table = dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in heads])), html.Tbody(rows)],
        hover=True, size="sm", responsive=True, className="pulse-surface status-table",
    )
    return [html.Div(head, className="mb-3"), *alerts, table, html.H5("Beside the refresh", className="mt-4 mb-2"),
            jobs_table(report["jobs"], tz)]


COUNT_WORDS = {"queued": "messages queued", "rows": "values written", "retired": "gone from the warehouse"}


def jobs_table(jobs: list[dict], tz: str) -> dbc.Table:
    """The customer sync, alert rules and KPI history: state, last attempt, what they did or their error."""
    rows = []
    for j in jobs:
        did = ", ".join(f"{v:,} {COUNT_WORDS.get(k, k.replace('_', ' '))}" for k, v in j["counts"].items())
        rows.append(html.Tr([html.Td(_badge(j["state"], "Not run yet" if j["state"] == "never" else None)),
                             html.Td([html.Div(j["name"], className="fw-semibold"),
                                      html.Div(j["what"], className="small text-muted")]),
                             html.Td(_when(j["last_attempt"], tz), className="text-nowrap"),
                             html.Td(j["message"] or did or "—", className="small status-message")],
                            className=f"status-job status-job-{j['state']}"))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("State", "Step", "Last attempt", "Details")])),
                      html.Tbody(rows)], hover=True, size="sm", responsive=True, className="pulse-surface status-jobs")


def layout(**_query) -> html.Div:
    return html.Div([
        html.H2("Status", className="page-title"),
        html.P("Refresh state of every metric and view, problems first. JSON: /api/status · load balancers: /healthz",
               className="text-muted"),
        html.Div(status_body(), id=ids.STATUS_BODY),
        dcc.Interval(id=ids.STATUS_INTERVAL, interval=30_000),
    ])


@callback(Output(ids.STATUS_BODY, "children"), Input(ids.STATUS_INTERVAL, "n_intervals"), prevent_initial_call=True)
def refresh_status(_n):
    """Re-read the status every 30 s."""
    return status_body()
