"""Settings › Alert rules (issue 14.6): the rules table, a modal form to add, edit or delete a rule,
and the rules' recent changes. Admins only: every callback checks the role on the server first; the
writes (``data_access.alert_rules``) are validated, transactional and audited.

Imported by ``pages/settings.py`` (its tab), not a page of its own.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import auth
from components import forms, formatting, ids
from data_access import alert_rules
from data_access.alert_rules import FIELD_LABEL, RuleError, RuleRow, check_rule
from data_access.db import AuditChange, StaleEdit
from data_access.runtime import get_runtime
from data_access.trends import PERIODS

REFUSED = "Only admins can change alert rules."
FIELDS = ("metric_id", "condition_kind", "threshold", "period", "hysteresis_refreshes", "channel", "recipients",
          "enabled")
NEW_RULE = {"metric_id": None, "condition_kind": "status_change", "threshold": None, "period": "month",
            "hysteresis_refreshes": 2, "channel": "email", "recipients": "", "enabled": True}
CONDITIONS = {"status_change": "Its colour changes (green / yellow / red)",
              "change_pct": "It moves more than a threshold vs a previous period"}


# ---------------------------------------------------------------- builders (pure)

def condition_text(row: RuleRow, catalog) -> str:
    """``Status changes colour`` or ``Moves more than 5 pts vs last month`` (pts for ratios, % otherwise)."""
    if row.condition_kind == "status_change":
        return "Changes colour"
    metric = catalog.metrics.get(row.metric_id)
    unit = " pts" if metric is not None and metric.unit == "ratio" else "%"
    return f"Moves more than {row.threshold:g}{unit} vs {PERIODS.get(row.period, (row.period,))[0]}"


def channel_text(row: RuleRow, settings) -> tuple[str, str | None]:
    """What the rule sends to, and a warning when this server cannot send on that channel."""
    if row.channel == "slack":
        return "Slack", None if settings.slack_webhook_url else "Slack is not configured (PULSE_SLACK_WEBHOOK_URL)"
    to = row.recipients or ", ".join(settings.alert_email_to) or "—"
    warn = None if settings.smtp_host and (row.recipients or settings.alert_email_to) else \
        "Email is not configured (PULSE_SMTP_HOST and recipients)"
    return f"Email → {to}", warn


def rules_table(rows: list[RuleRow], catalog, settings) -> html.Div:
    """The rules, one row each with its Edit button."""
    if not rows:
        return html.P("No alert rules yet. Add one to be told when a metric changes colour or moves sharply.",
                      className="text-muted small mb-0")
    body = []
    for row in rows:
        metric = catalog.metrics.get(row.metric_id)
        channel, warn = channel_text(row, settings)
        body.append(html.Tr([
            html.Td(metric.title if metric else f"{row.metric_id} (not in the catalog)"),
            html.Td(condition_text(row, catalog)),
            html.Td(f"{row.hysteresis_refreshes} refresh{'es' if row.hysteresis_refreshes != 1 else ''}"),
            html.Td([channel, html.Div(warn, className="small text-warning-emphasis") if warn else None]),
            html.Td(dbc.Badge("On", color="success") if row.enabled else dbc.Badge("Off", color="secondary")),
            html.Td(dbc.Button("Edit", id=ids.alert_rule_edit(row.id), size="sm", color="secondary", outline=True,
                               title=f"Edit the rule on {metric.title if metric else row.metric_id}")),
        ]))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Metric", "Alerts when", "Held for", "Sends to", "", "")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, className="alert-rules-table pulse-surface mb-0")


def _rule_summary(values: dict | None, catalog) -> str:
    if not values:
        return ""
    try:
        row = RuleRow(**{k: values.get(k) for k in RuleRow.__dataclass_fields__})
    except TypeError:
        return ""
    metric = catalog.metrics.get(row.metric_id)
    return f"{metric.title if metric else row.metric_id}: {condition_text(row, catalog).lower()}, {row.channel}"


def changes_table(changes: list[AuditChange], catalog, tz: str) -> html.Div:
    """The rules' recent changes: when, who, what (created / edited fields / deleted)."""
    if not changes:
        return html.P("No changes yet.", className="text-muted small mb-0")
    rows = []
    for c in changes:
        if c.action == "update" and c.before and c.after:
            fields = [FIELD_LABEL.get(k, k) for k in c.changed(FIELDS)]
            what = f"Edited {_rule_summary(c.after, catalog)} ({', '.join(fields).lower() or 'no field'})"
        elif c.action == "create":
            what = f"Added {_rule_summary(c.after, catalog)}"
        else:
            what = f"Deleted {_rule_summary(c.before, catalog)}"
        rows.append(html.Tr([html.Td(formatting.local_time(c.at, tz), className="text-nowrap"), html.Td(c.actor),
                             html.Td(what)]))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("When", "Who", "Change")])), html.Tbody(rows)],
                     size="sm", className="settings-history-table pulse-surface mb-0")


def _field(label: str, name: str, control, help_text: str | None = None):
    return forms.field(label, control, ids.alert_rule_feedback(name), help_text)


def rule_form(catalog) -> list:
    """The modal's inputs (values are filled when it opens)."""
    page_order = {page_id: i for i, page_id in enumerate(catalog.pages)}
    options = [{"label": f"{m.title} · {catalog.pages[m.page].title}", "value": m.id}
               for m in sorted(catalog.metrics.values(), key=lambda m: (page_order.get(m.page, 99), m.title))]
    periods = [{"label": label[0].upper() + label[1:], "value": key} for key, (label, _, _) in PERIODS.items()]
    return [
        _field("Metric", "metric_id", dcc.Dropdown(id=ids.alert_rule_field("metric_id"), options=options,
                                                   placeholder="Choose a metric", clearable=False)),
        _field("Alert when", "condition_kind", dbc.RadioItems(
            id=ids.alert_rule_field("condition_kind"), options=[{"label": v, "value": k} for k, v in CONDITIONS.items()])),
        dbc.Row([
            dbc.Col(_field("Threshold", "threshold", dbc.Input(id=ids.alert_rule_field("threshold"), type="text",
                                                               inputmode="decimal", placeholder="e.g. 10"),
                           "Percentage points for rates, percent for everything else."), md=6),
            dbc.Col(_field("Compared with", "period", dbc.Select(id=ids.alert_rule_field("period"), options=periods)),
                    md=6),
        ]),
        _field("Refreshes in a row", "hysteresis_refreshes",
               dbc.Input(id=ids.alert_rule_field("hysteresis_refreshes"), type="number", min=1, max=20, step=1),
               "The new colour (or the move) must hold this many refreshes before anyone is told: a value "
               "flapping across a boundary sends nothing."),
        _field("Send to", "channel", dbc.RadioItems(id=ids.alert_rule_field("channel"), inline=True,
                                                   options=[{"label": "Email", "value": "email"},
                                                            {"label": "Slack", "value": "slack"}])),
        _field("Recipients", "recipients", dbc.Input(id=ids.alert_rule_field("recipients"), type="text",
                                                     placeholder="ceo@example.com, coo@example.com"),
               "Email addresses, comma-separated. Blank: the alert list (PULSE_ALERT_EMAIL_TO)."),
        _field("", "enabled", dbc.Switch(id=ids.alert_rule_field("enabled"), label="Enabled")),
    ]


def rules_tab(catalog) -> dbc.Card:
    """The tab's card and the rule modal (skeleton; callbacks fill it for admins)."""
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.H4("Alert rules", className="mb-0"), className="d-flex align-items-center"),
            dbc.Col(dbc.Button("Add rule", id=ids.ALERT_RULE_ADD, color="primary", size="sm"), width="auto"),
        ], className="g-2 justify-content-between")),
        dbc.CardBody([
            html.P(["After each refresh Pulse checks these rules and tells people on Slack or by email; what "
                    "was sent and what failed is on the ", html.A("Alerts", href="/alerts"), " page. A saved rule "
                    "counts from the next refresh (the month chosen above is for targets only)."],
                   className="text-muted small"),
            html.Div(id=ids.ALERT_RULES_MESSAGE, className="mb-2"),
            html.Div(id=ids.ALERT_RULES),
        ]),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id=ids.ALERT_RULE_TITLE)),
            dbc.ModalBody([*rule_form(catalog), html.Div(id=ids.ALERT_RULE_FORM_MESSAGE)]),
            dbc.ModalFooter([
                dbc.Button("Delete", id=ids.ALERT_RULE_DELETE, color="danger", outline=True, className="me-auto"),
                dbc.Button("Cancel", id=ids.ALERT_RULE_CANCEL, color="secondary", outline=True),
                dbc.Button("Save rule", id=ids.ALERT_RULE_SAVE, color="primary"),
            ]),
        ], id=ids.ALERT_RULE_MODAL, is_open=False, backdrop="static", scrollable=True),
        dcc.Store(id=ids.ALERT_RULE_EDITING),
    ], className="mb-4 settings-card")


def _rules_view(rt) -> html.Div:
    engine = rt.db()
    return html.Div([
        rules_table(alert_rules.list_rules(engine), rt.catalog, rt.settings),
        html.H5("Recent changes", className="mt-4 mb-2"),
        changes_table(alert_rules.rule_changes(engine, 10), rt.catalog, rt.settings.timezone),
    ])


# ---------------------------------------------------------------- callbacks

def _values(values: dict) -> list:
    """``values`` in the order of the open callback's field outputs."""
    return forms.values_for(ctx.outputs_list[3], values)


@callback(Output(ids.ALERT_RULES, "children"), Input(ids.SETTINGS_TABS, "active_tab"))
def show_rules(active_tab):
    """The rules and their changes when the tab opens (admins only)."""
    if active_tab != "alerts":
        return no_update
    if not auth.has_role("admin"):
        return forms.message(REFUSED)
    return _rules_view(get_runtime())


@callback(
    Output(ids.ALERT_RULE_MODAL, "is_open"),
    Output(ids.ALERT_RULE_TITLE, "children"),
    Output(ids.ALERT_RULE_EDITING, "data"),
    Output(ids.alert_rule_field(ALL), "value"),
    Output(ids.alert_rule_feedback(ALL), "children"),
    Output(ids.ALERT_RULE_FORM_MESSAGE, "children"),
    Output(ids.ALERT_RULE_DELETE, "style"),
    Input(ids.ALERT_RULE_ADD, "n_clicks"),
    Input(ids.alert_rule_edit(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def open_form(_add, _edits):
    """Open the form empty (Add rule) or with a rule's stored values (Edit); admins only."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:  # the table re-rendered its buttons: no click
        raise PreventUpdate
    n_feedback = len(ctx.outputs_list[4])
    if not auth.has_role("admin"):
        return (False, no_update, None, [no_update] * len(ctx.outputs_list[3]), [None] * n_feedback, None,
                {"display": "none"})
    if ctx.triggered_id == ids.ALERT_RULE_ADD:
        return True, "New alert rule", None, _values(NEW_RULE), [None] * n_feedback, None, {"display": "none"}
    rule = alert_rules.get_rule(get_runtime().db(), int(ctx.triggered_id["rule"]))
    if rule is None:
        return (True, "Alert rule", None, _values(NEW_RULE), [None] * n_feedback,
                forms.message("This rule was deleted by someone else; close and reload."), {"display": "none"})
    values = {k: getattr(rule, k) for k in FIELDS}
    values["threshold"] = None if rule.threshold is None else f"{rule.threshold:g}"
    return (True, "Edit alert rule", {"id": rule.id, "version": rule.version}, _values(values),
            [None] * n_feedback, None, {})


@callback(
    Output(ids.alert_rule_field("threshold"), "disabled"),
    Output(ids.alert_rule_field("period"), "disabled"),
    Output(ids.alert_rule_field("recipients"), "disabled"),
    Input(ids.alert_rule_field("condition_kind"), "value"),
    Input(ids.alert_rule_field("channel"), "value"),
)
def enable_fields(kind, channel):
    """A threshold and a period only for change rules; recipients only for email."""
    return kind != "change_pct", kind != "change_pct", channel == "slack"


@callback(
    Output(ids.ALERT_RULE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.alert_rule_feedback(ALL), "children", allow_duplicate=True),
    Output(ids.ALERT_RULE_FORM_MESSAGE, "children", allow_duplicate=True),
    Output(ids.ALERT_RULES, "children", allow_duplicate=True),
    Output(ids.ALERT_RULES_MESSAGE, "children"),
    Input(ids.ALERT_RULE_SAVE, "n_clicks"),
    State(ids.alert_rule_field(ALL), "value"),
    State(ids.ALERT_RULE_EDITING, "data"),
    prevent_initial_call=True,
)
def save_rule(n_clicks, _values, editing):
    """Validate the form and create or update the rule (audited; a stale edit is refused). Admins only."""
    feedback_ids = [out["id"]["field"] for out in ctx.outputs_list[1]]
    blank = [None] * len(feedback_ids)
    if not n_clicks:
        raise PreventUpdate
    user = auth.current_user()
    if user is None or not user.can("admin"):
        return no_update, blank, forms.message(REFUSED), no_update, no_update
    rt = get_runtime()
    raw = {item["id"]["field"]: item.get("value") for item in ctx.states_list[0]}
    if raw.get("condition_kind") != "change_pct":
        raw["threshold"], raw["period"] = None, raw.get("period") or "month"
    if raw.get("channel") == "slack":
        raw["recipients"] = ""
    try:
        rule = check_rule(raw, rt.catalog)
        if editing:
            saved = alert_rules.update_rule(rt.db(), int(editing["id"]), int(editing["version"]), rule, user.email)
        else:
            saved = alert_rules.create_rule(rt.db(), rule, user.email)
    except RuleError as e:
        shown, alert = forms.refused(e.errors, feedback_ids)
        return no_update, shown, alert, no_update, no_update
    except StaleEdit as e:
        return no_update, blank, forms.message(f"Nothing saved: this rule was {e} (close the form and edit it again)."), \
            _rules_view(rt), no_update
    except (KeyError, TypeError, ValueError):
        return no_update, blank, forms.message("The form does not match a rule; reload the page."), no_update, no_update
    metric = rt.catalog.metrics[saved.metric_id]
    verb = "Saved" if editing else "Added"
    return False, blank, None, _rules_view(rt), forms.message(f"{verb} the rule on {metric.title}.", "success")


@callback(
    Output(ids.ALERT_RULE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.ALERT_RULE_FORM_MESSAGE, "children", allow_duplicate=True),
    Output(ids.ALERT_RULES, "children", allow_duplicate=True),
    Output(ids.ALERT_RULES_MESSAGE, "children", allow_duplicate=True),
    Input(ids.ALERT_RULE_DELETE, "n_clicks"),
    State(ids.ALERT_RULE_EDITING, "data"),
    prevent_initial_call=True,
)
def delete_rule(n_clicks, editing):
    """Delete the rule in the form (audited; a stale one is refused). Admins only."""
    if not n_clicks or not editing:
        raise PreventUpdate
    user = auth.current_user()
    if user is None or not user.can("admin"):
        return no_update, forms.message(REFUSED), no_update, no_update
    rt = get_runtime()
    try:
        alert_rules.delete_rule(rt.db(), int(editing["id"]), int(editing["version"]), user.email)
    except StaleEdit as e:
        return no_update, forms.message(f"Not deleted: this rule was {e}."), _rules_view(rt), no_update
    except RuleError as e:
        return no_update, forms.message(str(e.errors.get("form", e))), _rules_view(rt), no_update
    except (KeyError, TypeError, ValueError):
        return no_update, forms.message("The form does not match a rule; reload the page."), no_update, no_update
    return False, None, _rules_view(rt), forms.message("Deleted the rule.", "success")


@callback(Output(ids.ALERT_RULE_MODAL, "is_open", allow_duplicate=True), Input(ids.ALERT_RULE_CANCEL, "n_clicks"),
          prevent_initial_call=True)
def close_form(n_clicks):
    return False if n_clicks else no_update
