"""One customer (issue 15): ``/customers/<id>``, opened from the Customers table. Its profile, ARR,
health and next renewal from Pulse's database; this year's revenue by month, its active upfront
contracts and its HubSpot deals (open, and won in the last 365 days) from the worker's cached frames
(``customers.customer_detail``: filtered in memory, never a warehouse query); its renewals and their
audited changes; its playbook actions, which their assignee, managers and admins mark done, dismiss
or reopen here; and an activity timeline. Managers and admins edit the customer's own fields (tier,
owner, contract dates, notes) in a form here. Every write is checked on the server, version-checked
and audited. Everyone signed in reads it; renewals are edited on /renewals.
"""
from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

import auth
from components import figures, formatting, forms, ids
from data_access import customers, health, playbooks, profiles, renewals
from data_access.db import StaleEdit
from data_access.renewals import STATUS_LABEL, UNRESOLVED
from data_access.runtime import get_runtime
from pages.customers import ARR_HELP
from pages.renewals import due_text, renewal_change_text, renewals_table

dash.register_page(__name__, path_template="/customers/<customer_id>", name="Customer",
                   title="Pulse · Customer", order=8)

CHANGES_SHOWN = 20
ACTION_COLOR = {"open": "primary", "done": "success", "dismissed": "secondary"}
TIMELINE_SHOWN = 40
KIND = {"invoice": ("Invoice", "secondary"), "meeting": ("Meeting", "info"), "deal_won": ("Deal won", "success"),
        "deal_lost": ("Deal lost", "danger"), "renewal": ("Renewal", "primary"), "playbook": ("Playbook", "warning")}


# ---------------------------------------------------------------- builders (pure)

def _stat(label: str, value: str, note: str | None = None, help_text: str | None = None, key: str = "",
          tone: str = "") -> dbc.Col:
    return dbc.Col(html.Div([
        html.Div(label, className="small text-muted", title=help_text),
        html.Div(value, className=f"fs-4 fw-semibold customer-stat-value {tone}".rstrip()),
        html.Div(note, className="small text-muted") if note else None,
    ], className=f"pulse-surface customer-stat customer-stat-{key} p-3 h-100"), lg=True, md=4, sm=6)


def stats(detail: customers.CustomerDetail, today: dt.date) -> dbc.Row:
    """ARR, this year's revenue, the next renewal and the active contracts, in four tiles."""
    p = detail.profile
    ytd = None if detail.revenue_by_month is None else float(detail.revenue_by_month["revenue_usd"].sum())
    upcoming = [r for r in detail.renewals if r.status in UNRESOLVED]
    nxt = upcoming[0] if upcoming else None
    last = (f"Last invoice {formatting.day_text(p['last_invoice_date'])}" if p["last_invoice_date"]
            else "No invoice yet")
    c = detail.contracts
    h = detail.health
    if h is None:
        health_tile = _stat("Health", "—", "Not scored yet", key="health")
    else:
        change = "" if h.change is None else f" · {h.change:+d} in {health.DROP_DAYS} days".replace("-", "−")
        health_tile = _stat("Health", f"{h.score} / 100", f"{health.STATUS_WORD[h.status]}{change}", key="health",
                            tone=f"customer-health-{h.status}")
    return dbc.Row([
        health_tile,
        _stat("ARR", formatting.usd(p["arr_usd"]), last, ARR_HELP, "arr"),
        _stat(f"Revenue {today.year} to date", "—" if ytd is None else formatting.usd(ytd),
              "Waiting for the first refresh" if ytd is None else "Σ invoice lines this year, QuickBooks",
              key="ytd"),
        _stat("Next renewal", formatting.day_text(nxt.renewal_date) if nxt else "None open",
              f"{STATUS_LABEL[nxt.status]} · {formatting.usd(float(nxt.current_value_usd))}" if nxt else
              "No renewal open or committed", key="renewal"),
        _stat("Unspent upfront contracts", formatting.usd(c["unspent_usd"]) if c else "None active",
              (f"{formatting.plural(c['contract_count'], 'contract')} · {formatting.usd(c['contract_usd'])} signed, "
               f"{formatting.usd(c['spend_usd'])} spent") if c else None,
              "Active upfront contracts: contract value − invoices since the first contract, HubSpot + QuickBooks",
              key="contracts"),
    ], className="g-3 mb-4")


def health_figure(frame: pd.DataFrame) -> dict:
    """The last 90 days of the health score (thick) and its indicators' scores (thin, dotted)."""
    x = [d.isoformat() for d in frame["score_date"]]
    data = [{"type": "scatter", "mode": "lines+markers", "x": x, "y": frame["score"].tolist(), "name": "Health score",
             "line": {"color": figures.PALETTE[0], "width": 3}}]
    for i, name in enumerate(health.LABEL):
        if frame[name].notna().any():
            data.append({"type": "scatter", "mode": "lines", "x": x, "name": f"{health.SHORT[name]} (score)",
                         "y": [None if pd.isna(v) else v for v in frame[name]],
                         "line": {"color": figures.PALETTE[i + 1], "width": 1.5, "dash": "dot"}})
    return {"data": data, "layout": {
        "template": figures.TEMPLATE, "title": {"text": "Health score, last 90 days"}, "height": 300,
        "margin": {"t": 80}, "yaxis": {"range": [0, 105]},
        "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
                    "line": {"color": c, "width": 1, "dash": "dash"}}
                   for y, c in ((health.GREEN_AT, figures.STATUS_FILL["green"]),
                                (health.YELLOW_AT, figures.STATUS_FILL["red"]))]}}


def revenue_figure(by_month: pd.DataFrame, today: dt.date) -> dict:
    """This year's revenue by month, January to this month (months without invoices at 0)."""
    months = pd.date_range(dt.date(today.year, 1, 1), dt.date(today.year, today.month, 1), freq="MS")
    values = by_month.set_index("month")["revenue_usd"].reindex(months, fill_value=0.0)
    return {"data": [{"type": "bar", "x": [m.strftime("%Y-%m-%d") for m in months], "y": values.round(2).tolist(),
                      "marker": {"color": figures.PALETTE[0]}, "name": "Revenue",
                      "hovertemplate": "%{x|%b %Y}: $%{y:,.0f}<extra></extra>"}],
            "layout": {"template": figures.TEMPLATE, "title": {"text": f"Revenue by month, {today.year}"},
                       "height": 300, "margin": {"t": 60}, "xaxis": {"tickformat": "%b", "dtick": "M1"},
                       "yaxis": {"tickprefix": "$", "tickformat": "~s", "rangemode": "tozero"}}}


def deals_table(deals: list[dict] | None) -> html.Div:
    """The customer's HubSpot deals: open ones, then won in the last 365 days (a renewal's deal marked)."""
    if deals is None:
        return html.P("Waiting for the first refresh of deals.", className="text-muted small mb-0")
    if not deals:
        return html.P("No open deal and none won in the last 365 days (HubSpot company of the same name).",
                      className="text-muted small mb-0")
    rows = [html.Tr([
        html.Td([d["deal_name"], dbc.Badge("Renewal", color="info", className="ms-2", title="A renewal links this deal")
                 if d["renewal"] else None]),
        html.Td(dbc.Badge(d["stage"], color="success") if d["stage"] == "Won" else d["stage"]),
        html.Td(formatting.usd(d["amount_usd"]), className="text-end pe-4"),
        html.Td(formatting.day_text(d["close_date"]) if d["close_date"] else "No close date", className="text-nowrap"),
        html.Td(d["owner_name"] or "—"),
    ], className="customer-deal") for d in deals]
    head = html.Thead(html.Tr([html.Th(h, className="text-end pe-4" if h == "Amount" else None)
                               for h in ("Deal", "Stage", "Amount", "Close date", "Owner")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="customer-deals pulse-surface mb-0")


def actions_table(rows: list[playbooks.ActionRow], today: dt.date, email: str | None, is_manager: bool) -> html.Div:
    """The customer's playbook actions (open ones by due date, then closed ones), with Done / Dismiss
    (open) or Reopen (closed) for those who may change them: the assignee, managers and admins."""
    if not rows:
        return html.P(["No playbook action for this customer. The rules on Settings › Playbooks open one when "
                       "its health or a renewal needs attention."], className="text-muted small mb-0 customer-no-actions")
    body = []
    for a in rows:
        late = a.overdue(today)
        when = due_text(a.due_date, today).replace(" ago", " overdue") if a.status == "open" else (
            f"{playbooks.STATUS_LABEL[a.status]} {formatting.day_text(a.completed_at.date())}" if a.completed_at else "")
        buttons = []
        if playbooks.can_change(a, email, is_manager):
            if a.status == "open":
                buttons = [dbc.Button("Done", id=ids.playbook_action_set(a.id, a.version, "done"), size="sm",
                                      color="success", outline=True, title=f"Mark “{a.action}” done"),
                           dbc.Button("Dismiss", id=ids.playbook_action_set(a.id, a.version, "dismissed"), size="sm",
                                      color="secondary", outline=True, title="Not needed: close it without doing it")]
            else:
                buttons = [dbc.Button("Reopen", id=ids.playbook_action_set(a.id, a.version, "open"), size="sm",
                                      color="secondary", outline=True)]
        body.append(html.Tr([
            html.Td([html.Div(a.action, className="fw-semibold"), html.Div(a.trigger, className="small text-muted")]),
            html.Td(a.rule_name, className="small"),
            html.Td(a.assignee or "Unassigned"),
            html.Td([html.Div(formatting.day_text(a.due_date), className="text-nowrap"),
                     html.Div(when, className="small " + ("text-danger fw-semibold" if late else "text-muted"))]),
            html.Td(dbc.Badge("Overdue" if late else playbooks.STATUS_LABEL[a.status],
                              color="danger" if late else ACTION_COLOR[a.status], className="action-status")),
            html.Td(html.Div(buttons, className="d-flex gap-1 justify-content-end")),
        ], className=f"playbook-action playbook-action-{a.status}"))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Action", "Rule", "Assignee", "Due", "Status", "")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", responsive=True,
                     className="customer-actions-table pulse-surface mb-0 align-middle")


def timeline_items(detail: customers.CustomerDetail, changes, actions: list[playbooks.ActionRow]) -> list[dict]:
    """The customer's activity, newest first: invoices, meetings and closed deals of the last 365 days
    (the worker's cached timeline), renewal edits (the audit trail) and playbook actions opened and
    closed. Dicts: ``at`` (UTC datetime), ``day_only`` (no time of day is known), ``kind`` (a ``KIND``
    key), ``title``, ``detail`` (str or None), ``amount_usd`` (float or None), ``by`` (str or None)."""
    items = []
    if detail.activity is not None:
        for e in detail.activity.itertuples(index=False):
            at = pd.Timestamp(e.occurred_at).to_pydatetime().replace(tzinfo=dt.timezone.utc)
            detail_text = None if pd.isna(e.detail) else str(e.detail).replace("_", " ").capitalize()
            items.append({"at": at, "day_only": e.kind != "meeting", "kind": e.kind, "title": e.title,
                          "detail": detail_text, "amount_usd": None if pd.isna(e.amount_usd) else float(e.amount_usd),
                          "by": None})
    for c in changes:
        items.append({"at": c.at, "day_only": False, "kind": "renewal", "title": renewal_change_text(c),
                      "detail": None, "amount_usd": None, "by": c.actor})
    for a in actions:
        opened = dt.datetime.combine(a.opened_on, dt.time(), tzinfo=dt.timezone.utc)
        items.append({"at": opened, "day_only": True, "kind": "playbook", "title": f"Opened: {a.action}",
                      "detail": a.trigger, "amount_usd": None, "by": a.assignee or None})
        if a.completed_at is not None:
            items.append({"at": a.completed_at, "day_only": False, "kind": "playbook",
                          "title": f"{playbooks.STATUS_LABEL[a.status]}: {a.action}", "detail": None,
                          "amount_usd": None, "by": a.completed_by})
    return sorted(items, key=lambda i: i["at"], reverse=True)


def timeline_table(items: list[dict], tz: str, refreshed_at: dt.datetime | None) -> html.Div:
    """The activity timeline (the newest ``TIMELINE_SHOWN`` items)."""
    note = (f"Invoices, meetings and closed deals of the last 365 days (QuickBooks, HubSpot; at most 25), refreshed "
            f"{formatting.age_text(refreshed_at)}; renewal edits and playbook actions as they happen."
            if refreshed_at else "Invoices, meetings and closed deals appear after the worker's next daily customers "
                                 "job; renewal edits and playbook actions as they happen.")
    if not items:
        return html.Div([html.P("No activity yet.", className="text-muted small mb-1"),
                         html.Div(note, className="small text-muted")])
    rows = []
    for i in items[:TIMELINE_SHOWN]:
        label, color = KIND[i["kind"]]
        when = formatting.day_text(i["at"].date()) if i["day_only"] else formatting.local_time(i["at"], tz)
        rows.append(html.Tr([
            html.Td(when, className="text-nowrap"),
            html.Td(dbc.Badge(label, color=color, className="timeline-kind",
                              text_color="dark" if color in ("warning", "info") else None)),
            html.Td([html.Div(i["title"]), html.Div(i["detail"], className="small text-muted") if i["detail"] else None]),
            html.Td(formatting.usd(i["amount_usd"]) if i["amount_usd"] is not None else "", className="text-end pe-4"),
            html.Td(i["by"] or "", className="small"),
        ], className=f"timeline-item timeline-{i['kind']}"))
    head = html.Thead(html.Tr([html.Th(h, className="text-end pe-4" if h == "Amount" else None)
                               for h in ("When", "", "What", "Amount", "By")]))
    more = len(items) - TIMELINE_SHOWN
    return html.Div([
        dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, className="customer-timeline pulse-surface mb-1"),
        html.Div(note + (f" Showing the newest {TIMELINE_SHOWN} of {len(items)}." if more > 0 else ""),
                 className="small text-muted"),
    ])


def _actions_section(rt, customer_id: str, actions: list[playbooks.ActionRow] | None = None) -> list:
    """The heading and table of the customer's playbook actions (read unless given), with buttons for
    this request's user."""
    user = auth.current_user()
    rows = playbooks.customer_actions(rt.db(), customer_id) if actions is None else actions
    return [html.H5("Playbook actions", className="mb-2"),
            actions_table(rows, rt.today(), user.email if user else None, bool(user and user.can("manager")))]


def detail_view(detail: customers.CustomerDetail, today: dt.date, tz: str, changes,
                actions: list[playbooks.ActionRow]) -> tuple[list, list]:
    """The page's content below the back link: what goes above the playbook actions (name, stats,
    charts) and what goes below them (deals, renewals, activity; ``changes``: the renewals' audited
    writes, ``actions``: the customer's playbook actions)."""
    p = detail.profile
    start, end = (formatting.day_text(p[k]) if p[k] else None for k in ("contract_start", "contract_end"))
    contract = (f"Contract {start} – {end}" if start and end else f"Contract ends {end}" if end else
                f"Contract since {start}" if start else None)
    facts = [p["segment"], f"Tier {p['tier']}" if p["tier"] else None, f"Owner {p['owner']}" if p["owner"] else "No owner",
             contract]
    head = html.Div([
        html.H2([p["name"], dbc.Badge("Not in the warehouse any more", color="secondary", className="ms-2 align-middle")
                 if not p["in_warehouse"] else None], className="page-title customer-name"),
        html.P(" · ".join(f for f in facts if f), className="text-muted mb-0 customer-facts"),
        html.P(p["notes"], className="small mb-0 mt-1 customer-notes", style={"whiteSpace": "pre-line"})
        if p["notes"] else None,
    ], className="page-head mb-3")
    revenue = (dcc.Graph(figure=revenue_figure(detail.revenue_by_month, today), config=figures.GRAPH_CONFIG,
                         className="customer-revenue")
               if detail.revenue_by_month is not None else
               html.P("Waiting for the first refresh of revenue.", className="text-muted small mb-0"))
    as_of = formatting.age_text(detail.as_of) if detail.as_of else None
    history = detail.health_history
    trend = (dcc.Graph(figure=health_figure(history), config=figures.GRAPH_CONFIG, className="customer-health-chart")
             if history is not None and not history.empty else
             html.P("No health score yet: the worker scores every customer daily after the customer sync.",
                    className="text-muted small mb-0"))
    return [
        head,
        stats(detail, today),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody(trend), className="pulse-surface h-100"), lg=6),
            dbc.Col(dbc.Card(dbc.CardBody([revenue, html.Div(f"Revenue refreshed {as_of}" if as_of else None,
                                                             className="small text-muted")]),
                             className="pulse-surface h-100"), lg=6),
        ], className="g-3 mb-4"),
    ], [
        html.H5("Deals", className="mb-2"),
        deals_table(detail.deals),
        html.H5("Renewals", className="mt-4 mb-2"),
        renewals_table(detail.renewals, today, can_edit=False),
        html.P(html.A("Edit renewals on Renewals", href="/renewals"), className="small mt-2") if detail.renewals else
        html.P(["No renewal yet. ", html.A("Add one on Renewals", href="/renewals"), "."], className="small text-muted"),
        html.H5("Activity", className="mt-4 mb-2"),
        timeline_table(timeline_items(detail, changes, actions), tz, detail.activity_as_of),
    ]


def _profile_field(label: str, name: str, control, help_text: str | None = None):
    return forms.field(label, control, ids.customer_profile_feedback(name), help_text)


def profile_modal() -> dbc.Modal:
    """The form of a customer's own fields (values are filled when it opens)."""
    field = ids.customer_profile_field
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Edit the customer's profile")),
        dbc.ModalBody([
            dbc.Row([
                dbc.Col(_profile_field("Tier", "tier", dbc.Input(id=field("tier"), type="text", maxLength=50,
                                                                 list="customer-tiers", placeholder="e.g. Enterprise")),
                        md=6),
                dbc.Col(_profile_field("Owner", "owner", dbc.Input(id=field("owner"), type="text", maxLength=200,
                                                                   placeholder="Account owner")), md=6),
            ]),
            html.Datalist([html.Option(value=t) for t in profiles.TIERS], id="customer-tiers"),
            dbc.Row([
                dbc.Col(_profile_field("Contract start", "contract_start",
                                       dbc.Input(id=field("contract_start"), type="date")), md=6),
                dbc.Col(_profile_field("Contract end", "contract_end", dbc.Input(id=field("contract_end"), type="date")),
                        md=6),
            ]),
            _profile_field("Notes", "notes", dbc.Textarea(id=field("notes"), maxLength=4000, rows=3)),
            html.Div(id=ids.CUSTOMER_PROFILE_MESSAGE),
        ]),
        dbc.ModalFooter([dbc.Button("Cancel", id=ids.CUSTOMER_PROFILE_CANCEL, color="secondary", outline=True),
                         dbc.Button("Save", id=ids.CUSTOMER_PROFILE_SAVE, color="primary")]),
    ], id=ids.CUSTOMER_PROFILE_MODAL, is_open=False, backdrop="static")


# ---------------------------------------------------------------- layout and callback

def layout(customer_id: str | None = None, **_query) -> html.Div:
    """Skeleton only; the callbacks read the database and the cache. The Edit profile button shows for
    managers and admins (the save checks the role again)."""
    user = auth.current_user()
    can_edit = bool(user and user.can("manager"))
    return html.Div([
        html.Div([html.A("← Customers", href="/customers", className="small"),
                  dbc.Button("Edit profile", id=ids.CUSTOMER_PROFILE_EDIT, size="sm", color="secondary", outline=True,
                             style=None if can_edit else {"display": "none"},
                             title="Tier, owner, contract dates and notes")],
                 className="d-flex justify-content-between align-items-center mb-2"),
        profile_modal(),
        dcc.Store(id=ids.CUSTOMER_PROFILE_VERSION),
        dcc.Loading(html.Div(id=ids.CUSTOMER_DETAIL), type="default", delay_show=300),
        html.Div(id=ids.CUSTOMER_ACTIONS_MESSAGE, className="mb-2"),  # the playbook actions (Done / Dismiss / Reopen
        html.Div(id=ids.CUSTOMER_ACTIONS, className="mb-4"),  # re-render them), between the charts and the deals
        html.Div(id=ids.CUSTOMER_DETAIL_MORE),
        dcc.Store(id=ids.CUSTOMER_ID, data=str(customer_id or "")),
    ], className="customer-page")


@callback(Output(ids.CUSTOMER_DETAIL, "children"), Output(ids.CUSTOMER_ACTIONS, "children"),
          Output(ids.CUSTOMER_DETAIL_MORE, "children"), Input(ids.CUSTOMER_ID, "data"))
def show_customer(customer_id):
    """The customer's profile, stats, charts, playbook actions, deals, renewals and activity (a customer
    Pulse does not know gets a message and a way back)."""
    return _customer_view(customer_id)


def _customer_view(customer_id) -> tuple:
    rt = get_runtime()
    detail = customers.customer_detail(rt, customer_id) if customer_id else None
    if detail is None:
        return dbc.Alert(["No customer with this id. ", html.A("Back to Customers", href="/customers"), "."],
                         color="warning", className="customer-missing"), None, None
    changes = renewals.renewal_changes(rt.db(), CHANGES_SHOWN, [r.id for r in detail.renewals])
    actions = playbooks.customer_actions(rt.db(), detail.profile["customer_id"])
    top, bottom = detail_view(detail, rt.today(), rt.settings.timezone, changes, actions)
    return top, _actions_section(rt, detail.profile["customer_id"], actions), bottom


@callback(Output(ids.CUSTOMER_ACTIONS, "children"), Output(ids.CUSTOMER_ACTIONS_MESSAGE, "children"),
          Input(ids.playbook_action_set(ALL, ALL, ALL), "n_clicks"), State(ids.CUSTOMER_ID, "data"),
          prevent_initial_call=True)
def set_action(_clicks, customer_id):
    """Done / Dismiss / Reopen an action: the assignee, managers and admins only (checked here, on the
    server); a change someone else made first refuses this one and shows theirs."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:  # the table re-rendered its buttons: no click
        raise PreventUpdate
    button = ctx.triggered_id
    user = auth.current_user()
    rt = get_runtime()
    if user is None:
        return dash.no_update, forms.message("Sign in to change an action.")
    try:
        done = playbooks.set_action_status(rt.db(), int(button["action"]), int(button["version"]), str(button["status"]),
                                           user.email, user.can("manager"))
    except (playbooks.ActionError, StaleEdit) as e:
        text = f"Nothing changed: this action was {e}." if isinstance(e, StaleEdit) else f"Nothing changed: {e}."
        return _actions_section(rt, str(customer_id)), forms.message(text)
    except (KeyError, TypeError, ValueError):
        return dash.no_update, forms.message("The button does not match an action; reload the page.")
    verb = {"done": "Marked done", "dismissed": "Dismissed", "open": "Reopened"}[done.status]
    return _actions_section(rt, str(customer_id)), forms.message(f"{verb}: {done.action}.", "success")


PROFILE_REFUSED = "Only managers and admins can edit a customer's profile."


@callback(Output(ids.CUSTOMER_PROFILE_MODAL, "is_open"), Output(ids.customer_profile_field(ALL), "value"),
          Output(ids.customer_profile_feedback(ALL), "children"), Output(ids.CUSTOMER_PROFILE_MESSAGE, "children"),
          Output(ids.CUSTOMER_PROFILE_VERSION, "data"),
          Input(ids.CUSTOMER_PROFILE_EDIT, "n_clicks"), State(ids.CUSTOMER_ID, "data"), prevent_initial_call=True)
def open_profile(n_clicks, customer_id):
    """Open the form with the profile as stored now (managers and admins only)."""
    if not n_clicks:
        raise PreventUpdate
    fields = [o["id"]["field"] for o in ctx.outputs_list[1]]
    blank = [None] * len(fields)
    if not auth.has_role("manager"):
        return True, [dash.no_update] * len(fields), blank, forms.message(PROFILE_REFUSED), None
    p = customers.customer_profile(get_runtime().db(), customer_id) if customer_id else None
    if p is None:
        return True, blank, blank, forms.message("No customer with this id; reload."), None
    values = {"tier": p["tier"] or "", "owner": p["owner"] or "", "notes": p["notes"] or "",
              "contract_start": p["contract_start"].isoformat() if p["contract_start"] else "",
              "contract_end": p["contract_end"].isoformat() if p["contract_end"] else ""}
    return True, [values[f] for f in fields], blank, None, p["version"]


@callback(Output(ids.CUSTOMER_PROFILE_MODAL, "is_open", allow_duplicate=True),
          Output(ids.customer_profile_feedback(ALL), "children", allow_duplicate=True),
          Output(ids.CUSTOMER_PROFILE_MESSAGE, "children", allow_duplicate=True),
          Output(ids.CUSTOMER_DETAIL, "children", allow_duplicate=True),
          Output(ids.CUSTOMER_DETAIL_MORE, "children", allow_duplicate=True),
          Input(ids.CUSTOMER_PROFILE_SAVE, "n_clicks"), State(ids.customer_profile_field(ALL), "value"),
          State(ids.CUSTOMER_PROFILE_VERSION, "data"), State(ids.CUSTOMER_ID, "data"), prevent_initial_call=True)
def save_profile(n_clicks, _values, version, customer_id):
    """Validate and save the customer's own fields (audited; a profile saved by someone else since the
    form opened is refused). Managers and admins only."""
    if not n_clicks:
        raise PreventUpdate
    fields = [o["id"]["field"] for o in ctx.outputs_list[1]]
    blank = [None] * len(fields)
    user = auth.current_user()
    if user is None or not user.can("manager"):
        return dash.no_update, blank, forms.message(PROFILE_REFUSED), dash.no_update, dash.no_update
    raw = {item["id"]["field"]: item.get("value") for item in ctx.states_list[0]}
    rt = get_runtime()
    try:
        profiles.update_profile(rt.db(), str(customer_id), int(version), profiles.check_profile(raw), user.email)
    except profiles.ProfileError as e:
        shown, alert = forms.refused(e.errors, fields)
        return dash.no_update, shown, alert, dash.no_update, dash.no_update
    except StaleEdit as e:
        return dash.no_update, blank, forms.message(f"Nothing saved: this profile was {e} and edit again."), \
            dash.no_update, dash.no_update
    except (KeyError, TypeError, ValueError):
        return dash.no_update, blank, forms.message("The form does not match a profile; reload the page."), \
            dash.no_update, dash.no_update
    top, _actions, bottom = _customer_view(customer_id)
    return False, blank, None, top, bottom


@callback(Output(ids.CUSTOMER_PROFILE_MODAL, "is_open", allow_duplicate=True),
          Input(ids.CUSTOMER_PROFILE_CANCEL, "n_clicks"), prevent_initial_call=True)
def close_profile(n_clicks):
    return False if n_clicks else dash.no_update
