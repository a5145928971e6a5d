"""Renewals (issue 15): the renewal cards (catalog page ``renewals``, from Pulse's own database), the
next 12 months by status, the renewals table with filters, and a modal form in which managers and
admins create and edit renewals (``data_access.renewals``: validated, transactional, audited; a stale
edit is refused). Viewers read. Every write callback checks the role on the server first.
"""
from __future__ import annotations

import datetime as dt
import logging

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import auth
from components import forms, figures, formatting, ids
from data_access import renewal_metrics, renewals
from data_access.db import AuditChange, StaleEdit
from data_access.renewal_deals import publish_renewal_deals
from data_access.renewals import FIELD_LABEL, RISK_LABEL, STATUS_LABEL, RenewalError, RenewalRow, check_renewal
from data_access.runtime import get_runtime
from pages._kpi import kpi_page

dash.register_page(__name__, path="/renewals", name="Renewals", title="Pulse · Renewals", order=6)

log = logging.getLogger(__name__)

REFUSED = "Only managers and admins can change renewals."
MAX_ROWS = 200
FIELDS = ("customer_id", "renewal_date", "status", "risk_level", "current_value_usd", "proposed_value_usd", "owner",
          "hubspot_deal_id", "notes")
NEW_RENEWAL = {"customer_id": None, "renewal_date": None, "status": "open", "risk_level": "low",
               "current_value_usd": "", "proposed_value_usd": "", "owner": "", "hubspot_deal_id": "", "notes": ""}
STATUS_COLOR = {"open": "secondary", "in_negotiation": "info", "committed": "primary", "renewed": "success",
                "churned": "danger"}
RISK_COLOR = {"low": "success", "medium": "warning", "high": "danger"}
STATUS_FILTERS = [{"label": "Not yet resolved", "value": "unresolved"}, {"label": "All statuses", "value": "all"},
                  *({"label": label, "value": key} for key, label in STATUS_LABEL.items())]
WINDOWS = {"next_90": ("Due in the next 90 days (and overdue)", None, 89),
           "next_365": ("Due in the next 12 months (and overdue)", None, 364),
           "past_365": ("Dated in the past 12 months", -364, 0), "all": ("Any date", None, None)}


# ---------------------------------------------------------------- builders (pure)

def due_text(day: dt.date, today: dt.date) -> str:
    """``in 12 days`` / ``today`` / ``3 days overdue`` / ``40 days ago`` (resolved ones say ago)."""
    days = (day - today).days
    if days == 0:
        return "today"
    return f"in {formatting.plural(days, 'day')}" if days > 0 else f"{formatting.plural(-days, 'day')} ago"


def status_badge(status: str):
    return dbc.Badge(STATUS_LABEL.get(status, status), color=STATUS_COLOR.get(status, "secondary"),
                     className="renewal-status")


def renewals_table(rows: list[RenewalRow], today: dt.date, can_edit: bool) -> html.Div:
    """The renewals, one row each (Edit buttons for managers and admins)."""
    if not rows:
        return html.P("No renewals match these filters.", className="text-muted small mb-0 renewals-empty")
    body = []
    for r in rows[:MAX_ROWS]:
        overdue = r.renewal_date < today and r.status in renewals.UNRESOLVED
        when = due_text(r.renewal_date, today).replace(" ago", " overdue") if overdue else due_text(r.renewal_date, today)
        body.append(html.Tr([
            html.Td([html.Div(r.customer_name, className="fw-semibold"), html.Div(r.segment, className="small text-muted")]),
            html.Td([html.Div(formatting.day_text(r.renewal_date), className="text-nowrap"),
                     html.Div(when, className="small " + ("text-danger" if overdue else "text-muted"))]),
            html.Td(status_badge(r.status)),
            html.Td(dbc.Badge(RISK_LABEL[r.risk_level], color=RISK_COLOR[r.risk_level], className="renewal-risk",
                              text_color="dark" if r.risk_level == "medium" else None)),
            html.Td(r.owner or "—"),
            html.Td(formatting.usd(float(r.current_value_usd)), className="text-end"),
            html.Td(formatting.usd(None if r.proposed_value_usd is None else float(r.proposed_value_usd)),
                    className="text-end"),
            html.Td(dbc.Button("Edit", id=ids.renewal_edit(r.id), size="sm", color="secondary", outline=True,
                               title=f"Edit the renewal of {r.customer_name}") if can_edit else None),
        ], className=f"renewal-row renewal-{r.status}"))
    head = html.Thead(html.Tr([html.Th(h, className="text-end" if h in ("Current value", "Proposed") else None)
                               for h in ("Customer", "Renewal date", "Status", "Risk", "Owner", "Current value",
                                         "Proposed", "")]))
    total = sum(float(r.current_value_usd) for r in rows)
    more = [html.P(f"Showing the first {MAX_ROWS} of {len(rows):,}; narrow the filters to see the rest.",
                   className="small text-muted")] if len(rows) > MAX_ROWS else []
    return html.Div([
        html.P(f"{formatting.plural(len(rows), 'renewal')} · {formatting.usd(total)} current annual value",
               className="small text-muted mb-2 renewals-summary"),
        dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True,
                  className="renewals-table pulse-surface mb-0"),
        *more,
    ])


def _summary(values: dict | None) -> str:
    if not values:
        return ""
    status = STATUS_LABEL.get(values.get("status"), values.get("status") or "")
    return f"{status.lower()}, {values.get('renewal_date', '')}"


def renewal_change_text(c: AuditChange) -> str:
    """One audited renewal write in words: ``Added the renewal (open, 2026-12-01)`` or ``Edited status,
    owner → renewed, 2026-12-01``."""
    if c.action == "create":
        return f"Added the renewal ({_summary(c.after)})"
    changed = c.changed(FIELD_LABEL)
    fields = ", ".join(FIELD_LABEL[k].lower() for k in changed)
    return f"Edited {fields or 'nothing'}" + (f" → {_summary(c.after)}" if "status" in changed else "")


def changes_table(changes: list[AuditChange], names: dict[str, str], tz: str) -> html.Div:
    """Renewals' recent changes: when, who, which customer, what changed."""
    if not changes:
        return html.P("No changes yet.", className="text-muted small mb-0")
    rows = []
    for c in changes:
        values = c.after or c.before or {}
        customer = names.get(str(values.get("customer_id")), f"customer {values.get('customer_id')}")
        rows.append(html.Tr([html.Td(formatting.local_time(c.at, tz), className="text-nowrap"), html.Td(c.actor),
                             html.Td(customer), html.Td(renewal_change_text(c))]))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("When", "Who", "Customer", "Change")])),
                      html.Tbody(rows)], size="sm", className="renewals-changes pulse-surface mb-0")


def _field(label: str, name: str, control, help_text: str | None = None):
    return forms.field(label, control, ids.renewal_feedback(name), help_text)


def _select(name: str, options: dict[str, str]):
    return dbc.Select(id=ids.renewal_field(name), options=[{"label": v, "value": k} for k, v in options.items()])


def renewal_form() -> list:
    """The modal's inputs (values are filled when it opens)."""
    def text(name, placeholder="", **kw):
        return dbc.Input(id=ids.renewal_field(name), type="text", placeholder=placeholder, **kw)

    return [
        _field("Customer", "customer_id", dcc.Dropdown(id=ids.renewal_field("customer_id"), options=[],
                                                       placeholder="Type to search customers", clearable=False)),
        dbc.Row([
            dbc.Col(_field("Renewal date", "renewal_date", dbc.Input(id=ids.renewal_field("renewal_date"),
                                                                    type="date")), md=6),
            dbc.Col(_field("Status", "status", _select("status", STATUS_LABEL)), md=6),
        ]),
        dbc.Row([
            dbc.Col(_field("Current value (USD / year)", "current_value_usd",
                           text("current_value_usd", "e.g. 120,000", inputmode="decimal")), md=6),
            dbc.Col(_field("Proposed value (USD / year)", "proposed_value_usd",
                           text("proposed_value_usd", "optional", inputmode="decimal")), md=6),
        ]),
        dbc.Row([
            dbc.Col(_field("Risk", "risk_level", _select("risk_level", RISK_LABEL)), md=6),
            dbc.Col(_field("Owner", "owner", text("owner", "Account manager", maxLength=200)), md=6),
        ]),
        _field("HubSpot deal id", "hubspot_deal_id", text("hubspot_deal_id", "optional, e.g. 4815162342",
                                                          inputmode="numeric", maxLength=64),
               "Links the HubSpot deal that carries this renewal."),
        _field("Notes", "notes", dbc.Textarea(id=ids.renewal_field("notes"), rows=3, maxLength=4000)),
    ]


def pipeline_figure(rt) -> dict | None:
    """The next 12 months by status, drawn as the catalog's ``renewals_by_month`` view, from its cached
    frame (None before the first refresh)."""
    cached = rt.store.get(renewal_metrics.BY_MONTH)
    view = next((v for m in rt.catalog.metrics_on("renewals") for v in m.views
                 if v.query == renewal_metrics.BY_MONTH), None)
    if cached is None or view is None:
        return None
    return figures.view_figure(view.chart, cached.frame, "Renewals by month and status, next 12 months")


# ---------------------------------------------------------------- layout

def layout(**query):
    """Cards and chart from the cache; the table and the form are filled by callbacks."""
    rt = get_runtime()
    can_edit = auth.has_role("manager")
    figure = pipeline_figure(rt)
    chart = (dcc.Graph(id=ids.RENEWALS_CHART, figure=figure, config={"displaylogo": False})
             if figure is not None else html.P("The renewals chart appears after the first refresh.",
                                               className="text-muted small", id=ids.RENEWALS_CHART))
    return html.Div([
        kpi_page("renewals", query),
        dbc.Card(dbc.CardBody(chart), className="mt-4 pulse-surface renewals-chart-card"),
        dbc.Card([
            dbc.CardHeader(dbc.Row([
                dbc.Col(html.H4("Renewals", className="mb-0"), className="d-flex align-items-center"),
                dbc.Col(dbc.Button("New renewal", id=ids.RENEWAL_ADD, color="primary", size="sm",
                                   style=None if can_edit else {"display": "none"}), width="auto"),
            ], className="g-2 justify-content-between")),
            dbc.CardBody([
                dbc.Row([
                    dbc.Col(dbc.Select(id=ids.RENEWALS_STATUS_FILTER, options=STATUS_FILTERS, value="unresolved"),
                            md=3),
                    dbc.Col(dbc.Select(id=ids.RENEWALS_WINDOW, value="next_365",
                                       options=[{"label": v[0], "value": k} for k, v in WINDOWS.items()]), md=4),
                    dbc.Col(dbc.Input(id=ids.RENEWALS_SEARCH, type="search", placeholder="Search customers",
                                      debounce=True), md=5),
                ], className="g-2 mb-3"),
                html.Div(id=ids.RENEWALS_MESSAGE, className="mb-2"),
                html.Div(id=ids.RENEWALS_TABLE),
            ]),
        ], className="mt-4 settings-card"),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id=ids.RENEWAL_TITLE)),
            dbc.ModalBody([*renewal_form(), html.Div(id=ids.RENEWAL_FORM_MESSAGE)]),
            dbc.ModalFooter([
                dbc.Button("Cancel", id=ids.RENEWAL_CANCEL, color="secondary", outline=True),
                dbc.Button("Save renewal", id=ids.RENEWAL_SAVE, color="primary"),
            ]),
        ], id=ids.RENEWAL_MODAL, is_open=False, backdrop="static", scrollable=True),
        dcc.Store(id=ids.RENEWAL_EDITING),
    ])


# ---------------------------------------------------------------- callbacks

def _values(values: dict) -> list:
    """``values`` in the order of the open callback's field outputs."""
    return forms.values_for(ctx.outputs_list[3], values)


def _table_view(rt, status: str | None, window: str | None, search: str | None) -> html.Div:
    today = rt.today()
    _, lo, hi = WINDOWS.get(window or "", WINDOWS["next_365"])
    start = None if lo is None else today + dt.timedelta(days=lo)
    end = None if hi is None else today + dt.timedelta(days=hi)
    statuses = (renewals.UNRESOLVED if status in (None, "unresolved") else None if status == "all"
                else (status,) if status in STATUS_LABEL else renewals.UNRESOLVED)
    rows = renewals.list_renewals(rt.db(), start=start, end=end, statuses=statuses)
    if search and search.strip():
        needle = search.strip().casefold()
        rows = [r for r in rows if needle in r.customer_name.casefold()]
    changes = renewals.renewal_changes(rt.db(), 10)
    named = {str((c.after or c.before or {}).get("customer_id")) for c in changes}
    names = renewals.customer_names(rt.db(), named)
    return html.Div([
        renewals_table(rows, today, auth.has_role("manager")),
        html.H5("Recent changes", className="mt-4 mb-2"),
        changes_table(changes, names, rt.settings.timezone),
    ])


@callback(Output(ids.RENEWALS_TABLE, "children"), Input(ids.RENEWALS_STATUS_FILTER, "value"),
          Input(ids.RENEWALS_WINDOW, "value"), Input(ids.RENEWALS_SEARCH, "value"))
def show_renewals(status, window, search):
    """The renewals matching the filters and the recent changes (everyone signed in reads them)."""
    return _table_view(get_runtime(), status, window, search)


@callback(Output(ids.renewal_field("customer_id"), "options"), Input(ids.renewal_field("customer_id"), "search_value"),
          State(ids.renewal_field("customer_id"), "value"), prevent_initial_call=True)
def search_customers(search, value):
    """Customers whose name contains what was typed (server-side: the list may hold 35,000)."""
    if not search and not value:
        raise PreventUpdate
    return renewals.customer_options(get_runtime().db(), search or None, include=value)


@callback(
    Output(ids.RENEWAL_MODAL, "is_open"),
    Output(ids.RENEWAL_TITLE, "children"),
    Output(ids.RENEWAL_EDITING, "data"),
    Output(ids.renewal_field(ALL), "value"),
    Output(ids.renewal_feedback(ALL), "children"),
    Output(ids.RENEWAL_FORM_MESSAGE, "children"),
    Output(ids.renewal_field("customer_id"), "options", allow_duplicate=True),
    Input(ids.RENEWAL_ADD, "n_clicks"),
    Input(ids.renewal_edit(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def open_form(_add, _edits):
    """Open the form empty (New renewal) or with a renewal's stored values (Edit); managers and admins."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:  # the table re-rendered its buttons: no click
        raise PreventUpdate
    n_fields, n_feedback = len(ctx.outputs_list[3]), len(ctx.outputs_list[4])
    if not auth.has_role("manager"):
        return False, no_update, None, [no_update] * n_fields, [None] * n_feedback, None, no_update
    rt = get_runtime()
    if ctx.triggered_id == ids.RENEWAL_ADD:
        return (True, "New renewal", None, _values(NEW_RENEWAL), [None] * n_feedback, None,
                renewals.customer_options(rt.db()))
    row = renewals.get_renewal(rt.db(), int(ctx.triggered_id["renewal"]))
    if row is None:
        return (True, "Renewal", None, _values(NEW_RENEWAL), [None] * n_feedback,
                forms.message("This renewal no longer exists; close and reload."), no_update)
    return (True, f"Edit the renewal of {row.customer_name}", {"id": row.id, "version": row.version},
            _values(row.form_values()), [None] * n_feedback, None,
            renewals.customer_options(rt.db(), include=row.customer_id))


@callback(
    Output(ids.RENEWAL_MODAL, "is_open", allow_duplicate=True),
    Output(ids.renewal_feedback(ALL), "children", allow_duplicate=True),
    Output(ids.RENEWAL_FORM_MESSAGE, "children", allow_duplicate=True),
    Output(ids.RENEWALS_TABLE, "children", allow_duplicate=True),
    Output(ids.RENEWALS_MESSAGE, "children"),
    Input(ids.RENEWAL_SAVE, "n_clicks"),
    State(ids.renewal_field(ALL), "value"),
    State(ids.RENEWAL_EDITING, "data"),
    State(ids.RENEWALS_STATUS_FILTER, "value"),
    State(ids.RENEWALS_WINDOW, "value"),
    State(ids.RENEWALS_SEARCH, "value"),
    prevent_initial_call=True,
)
def save_renewal(n_clicks, _values, editing, status, window, search):
    """Validate the form and create or update the renewal (audited; a stale edit is refused), then ask
    the worker to recompute the renewal cards and republish the deals renewals link (the drill-down
    deal lists mark them). Managers and admins only."""
    feedback_ids = [out["id"]["field"] for out in ctx.outputs_list[1]]
    blank = [None] * len(feedback_ids)
    if not n_clicks:
        raise PreventUpdate
    user = auth.current_user()
    if user is None or not user.can("manager"):
        return no_update, blank, forms.message(REFUSED), no_update, no_update
    rt = get_runtime()
    raw = {item["id"]["field"]: item.get("value") for item in ctx.states_list[0]}
    try:
        renewal = check_renewal(raw, rt.db())
        if editing:
            saved = renewals.update_renewal(rt.db(), int(editing["id"]), int(editing["version"]), renewal, user.email)
        else:
            saved = renewals.create_renewal(rt.db(), renewal, user.email)
    except RenewalError as e:
        shown, alert = forms.refused(e.errors, feedback_ids)
        return no_update, shown, alert, no_update, no_update
    except StaleEdit as e:
        return (no_update, blank, forms.message(f"Nothing saved: this renewal was {e} (close the form and edit it again)."),
                _table_view(rt, status, window, search), no_update)
    except (KeyError, TypeError, ValueError):
        return no_update, blank, forms.message("The form does not match a renewal; reload the page."), no_update, no_update
    renewal_metrics.request_refresh(rt)
    verb = "Saved" if editing else "Added"
    text = (f"{verb} the renewal of {saved.customer_name} ({STATUS_LABEL[saved.status].lower()}, "
            f"{formatting.day_text(saved.renewal_date)}). The cards update within a minute.")
    if not _publish_renewal_deals(rt) and (saved.hubspot_deal_id or editing):
        text += " The deal lists show its HubSpot deal link after the next daily sync (the cache is unreachable)."
    return False, blank, None, _table_view(rt, status, window, search), forms.message(text, "success")


def _publish_renewal_deals(rt) -> bool:
    """Republish the deals renewals link (``data_access.renewal_deals``) so the drill-down deal lists
    show a save at once; False (logged) when that failed: the save stands, the daily job publishes."""
    try:
        publish_renewal_deals(rt)
    except Exception:  # the store or the database went away after the save: say so, keep the save
        log.warning("renewal deals not republished after a save", exc_info=True)
        return False
    return True


@callback(Output(ids.RENEWAL_MODAL, "is_open", allow_duplicate=True), Input(ids.RENEWAL_CANCEL, "n_clicks"),
          prevent_initial_call=True)
def close_form(n_clicks):
    return False if n_clicks else no_update
