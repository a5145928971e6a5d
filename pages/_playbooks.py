"""Settings › Playbooks (issue 15): the playbook rules table, a modal form to add, edit or delete a rule,
and the rules' recent changes. Admins only: every callback checks the role on the server first; the
writes (``data_access.playbooks``) are validated, transactional, audited and version-checked. The
worker's daily customers job runs the enabled rules after the health scores.

Imported by ``pages/settings.py`` (its tab), not a page of its own.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import auth
from components import forms, formatting, ids
from data_access import playbooks
from data_access.db import AuditChange, StaleEdit
from data_access.playbooks import FIELD_LABEL, FIELDS, RuleError, RuleRow, check_rule, rule_text
from data_access.runtime import get_runtime

REFUSED = "Only admins can change playbook rules."
NEW_RULE = {"name": "", "trigger_kind": "health_below", "threshold": "50", "action": "", "due_in_days": "7",
            "repeat_after_days": "30", "enabled": True}
TRIGGERS = {"health_below": "Health score is below … points",
            "health_drop": "Health score fell … points or more in 30 days",
            "renewal_due": "A renewal not yet committed is due within … days"}


# ---------------------------------------------------------------- builders (pure)

def rules_table(rows: list[RuleRow]) -> html.Div:
    """The rules, one row each with its Edit button."""
    if not rows:
        return html.P("No playbook rules. Add one to open an action for a customer's owner when its health or a "
                      "renewal needs attention.", className="text-muted small mb-0")
    body = [html.Tr([
        html.Td(html.Div(r.name, className="fw-semibold")),
        html.Td(rule_text(r)),
        html.Td(r.action),
        html.Td(f"{formatting.plural(r.due_in_days, 'day')}", className="text-nowrap"),
        html.Td(f"{formatting.plural(r.repeat_after_days, 'day')}", className="text-nowrap"),
        html.Td(dbc.Badge("On", color="success") if r.enabled else dbc.Badge("Off", color="secondary")),
        html.Td(dbc.Button("Edit", id=ids.playbook_rule_edit(r.id), size="sm", color="secondary", outline=True,
                           title=f"Edit the rule {r.name}")),
    ], className="playbook-rule") for r in rows]
    head = html.Thead(html.Tr([html.Th(h) for h in ("Rule", "When", "Action for the owner", "Due in",
                                                     "Not again for", "", "")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True,
                     className="playbook-rules-table pulse-surface mb-0 align-middle")


def _summary(values: dict | None) -> str:
    if not values:
        return ""
    try:
        return f"{values['name']} ({rule_text(RuleRow(**{k: values.get(k) for k in RuleRow.__dataclass_fields__})).lower()})"
    except (KeyError, TypeError):
        return str(values.get("name", ""))


def changes_table(changes: list[AuditChange], tz: str) -> html.Div:
    """The rules' recent changes: when, who, what (added / edited fields / deleted)."""
    if not changes:
        return html.P("No changes yet.", className="text-muted small mb-0")
    rows = []
    for c in changes:
        if c.action == "update":
            fields = [FIELD_LABEL.get(k, k) for k in c.changed(FIELDS)]
            what = f"Edited {_summary(c.after)}: {', '.join(fields).lower() or 'no field'}"
        elif c.action == "create":
            what = f"Added {_summary(c.after)}"
        else:
            what = f"Deleted {_summary(c.before)}"
        rows.append(html.Tr([html.Td(formatting.local_time(c.at, tz), className="text-nowrap"), html.Td(c.actor),
                             html.Td(what)]))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("When", "Who", "Change")])), html.Tbody(rows)],
                     size="sm", className="settings-history-table pulse-surface mb-0")


def _field(label: str, name: str, control, help_text: str | None = None):
    return forms.field(label, control, ids.playbook_rule_feedback(name), help_text)


def rule_form() -> list:
    """The modal's inputs (values are filled when it opens)."""
    return [
        _field("Name", "name", dbc.Input(id=ids.playbook_rule_field("name"), type="text", maxLength=100,
                                         placeholder="e.g. Health below 50")),
        _field("When", "trigger_kind", dbc.RadioItems(
            id=ids.playbook_rule_field("trigger_kind"), options=[{"label": v, "value": k} for k, v in TRIGGERS.items()])),
        _field("Threshold", "threshold", dbc.Input(id=ids.playbook_rule_field("threshold"), type="text",
                                                   inputmode="decimal", maxLength=10),
               "Points of health score (1–100), or days (whole, 1–365) for renewals."),
        _field("Action for the customer's owner", "action", dbc.Textarea(id=ids.playbook_rule_field("action"),
                                                                         maxLength=300, rows=2,
                                                                         placeholder="e.g. Schedule an executive check-in")),
        dbc.Row([
            dbc.Col(_field("Due in (days)", "due_in_days", dbc.Input(id=ids.playbook_rule_field("due_in_days"),
                                                                     type="number", min=1, max=90, step=1)), md=6),
            dbc.Col(_field("Not again for (days)", "repeat_after_days",
                           dbc.Input(id=ids.playbook_rule_field("repeat_after_days"), type="number", min=1, max=365,
                                     step=1),
                           "After an action closes, the rule waits this long before it opens another for the "
                           "same customer."), md=6),
        ]),
        _field("", "enabled", dbc.Switch(id=ids.playbook_rule_field("enabled"), label="Enabled")),
    ]


def playbooks_tab() -> dbc.Card:
    """The tab's card and the rule modal (skeleton; callbacks fill it for admins)."""
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.H4("Playbooks", className="mb-0"), className="d-flex align-items-center"),
            dbc.Col(dbc.Button("Add rule", id=ids.PLAYBOOK_RULE_ADD, color="primary", size="sm"), width="auto"),
        ], className="g-2 justify-content-between")),
        dbc.CardBody([
            html.P(["Every day, after the health scores, Pulse runs these rules and opens an action for each "
                    "customer whose condition holds, assigned to its owner (a renewal's owner for renewals). A rule "
                    "opens nothing for a customer while its action is open. The actions are on each customer's page "
                    "and on ", html.A("Customers", href="/customers"), "; the assignee, managers and admins mark "
                    "them done."], className="text-muted small"),
            html.Div(id=ids.PLAYBOOK_RULES_MESSAGE, className="mb-2"),
            html.Div(id=ids.PLAYBOOK_RULES),
        ]),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id=ids.PLAYBOOK_RULE_TITLE)),
            dbc.ModalBody([*rule_form(), html.Div(id=ids.PLAYBOOK_RULE_FORM_MESSAGE)]),
            dbc.ModalFooter([
                dbc.Button("Delete", id=ids.PLAYBOOK_RULE_DELETE, color="danger", outline=True, className="me-auto"),
                dbc.Button("Cancel", id=ids.PLAYBOOK_RULE_CANCEL, color="secondary", outline=True),
                dbc.Button("Save rule", id=ids.PLAYBOOK_RULE_SAVE, color="primary"),
            ]),
        ], id=ids.PLAYBOOK_RULE_MODAL, is_open=False, backdrop="static", scrollable=True),
        dcc.Store(id=ids.PLAYBOOK_RULE_EDITING),
    ], className="mb-4 settings-card")


def _rules_view(rt) -> html.Div:
    engine = rt.db()
    return html.Div([
        rules_table(playbooks.list_rules(engine)),
        html.H5("Recent changes", className="mt-4 mb-2"),
        changes_table(playbooks.rule_changes(engine, 10), rt.settings.timezone),
    ])


# ---------------------------------------------------------------- callbacks

@callback(Output(ids.PLAYBOOK_RULES, "children"), Input(ids.SETTINGS_TABS, "active_tab"))
def show_rules(active_tab):
    """The rules and their changes when the tab opens (admins only)."""
    if active_tab != "playbooks":
        return no_update
    if not auth.has_role("admin"):
        return forms.message(REFUSED)
    return _rules_view(get_runtime())


@callback(
    Output(ids.PLAYBOOK_RULE_MODAL, "is_open"),
    Output(ids.PLAYBOOK_RULE_TITLE, "children"),
    Output(ids.PLAYBOOK_RULE_EDITING, "data"),
    Output(ids.playbook_rule_field(ALL), "value"),
    Output(ids.playbook_rule_feedback(ALL), "children"),
    Output(ids.PLAYBOOK_RULE_FORM_MESSAGE, "children"),
    Output(ids.PLAYBOOK_RULE_DELETE, "style"),
    Input(ids.PLAYBOOK_RULE_ADD, "n_clicks"),
    Input(ids.playbook_rule_edit(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def open_form(_add, _edits):
    """Open the form empty (Add rule) or with a rule's stored values (Edit); admins only."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:  # the table re-rendered its buttons: no click
        raise PreventUpdate
    n_feedback = len(ctx.outputs_list[4])
    hidden = {"display": "none"}
    if not auth.has_role("admin"):
        return False, no_update, None, [no_update] * len(ctx.outputs_list[3]), [None] * n_feedback, None, hidden
    if ctx.triggered_id == ids.PLAYBOOK_RULE_ADD:
        return (True, "New playbook rule", None, forms.values_for(ctx.outputs_list[3], NEW_RULE), [None] * n_feedback,
                None, hidden)
    rule = playbooks.get_rule(get_runtime().db(), int(ctx.triggered_id["rule"]))
    if rule is None:
        return (True, "Playbook rule", None, forms.values_for(ctx.outputs_list[3], NEW_RULE), [None] * n_feedback,
                forms.message("This rule was deleted by someone else; close and reload."), hidden)
    values = {k: getattr(rule, k) for k in FIELDS}
    values["threshold"] = f"{rule.threshold:g}"
    return (True, "Edit playbook rule", {"id": rule.id, "version": rule.version},
            forms.values_for(ctx.outputs_list[3], values), [None] * n_feedback, None, {})


@callback(
    Output(ids.PLAYBOOK_RULE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.playbook_rule_feedback(ALL), "children", allow_duplicate=True),
    Output(ids.PLAYBOOK_RULE_FORM_MESSAGE, "children", allow_duplicate=True),
    Output(ids.PLAYBOOK_RULES, "children", allow_duplicate=True),
    Output(ids.PLAYBOOK_RULES_MESSAGE, "children"),
    Input(ids.PLAYBOOK_RULE_SAVE, "n_clicks"),
    State(ids.playbook_rule_field(ALL), "value"),
    State(ids.PLAYBOOK_RULE_EDITING, "data"),
    prevent_initial_call=True,
)
def save_rule(n_clicks, _values, editing):
    """Validate the form and create or update the rule (audited; a stale edit is refused). Admins only."""
    if not n_clicks:
        raise PreventUpdate
    feedback_ids = [out["id"]["field"] for out in ctx.outputs_list[1]]
    blank = [None] * len(feedback_ids)
    user = auth.current_user()
    if user is None or not user.can("admin"):
        return no_update, blank, forms.message(REFUSED), no_update, no_update
    rt = get_runtime()
    raw = {item["id"]["field"]: item.get("value") for item in ctx.states_list[0]}
    try:
        rule = check_rule(raw)
        if editing:
            saved = playbooks.update_rule(rt.db(), int(editing["id"]), int(editing["version"]), rule, user.email)
        else:
            saved = playbooks.create_rule(rt.db(), rule, user.email)
    except RuleError as e:
        shown, alert = forms.refused(e.errors, feedback_ids)
        return no_update, shown, alert, no_update, no_update
    except StaleEdit as e:
        return no_update, blank, forms.message(f"Nothing saved: this rule was {e} (close the form and edit it again)."), \
            _rules_view(rt), no_update
    except (KeyError, TypeError, ValueError):
        return no_update, blank, forms.message("The form does not match a rule; reload the page."), no_update, no_update
    verb = "Saved" if editing else "Added"
    return False, blank, None, _rules_view(rt), forms.message(f"{verb} the rule “{saved.name}”; the next daily run uses it.",
                                                              "success")


@callback(
    Output(ids.PLAYBOOK_RULE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.PLAYBOOK_RULE_FORM_MESSAGE, "children", allow_duplicate=True),
    Output(ids.PLAYBOOK_RULES, "children", allow_duplicate=True),
    Output(ids.PLAYBOOK_RULES_MESSAGE, "children", allow_duplicate=True),
    Input(ids.PLAYBOOK_RULE_DELETE, "n_clicks"),
    State(ids.PLAYBOOK_RULE_EDITING, "data"),
    prevent_initial_call=True,
)
def delete_rule(n_clicks, editing):
    """Delete the rule in the form (audited; its actions stay; a stale one is refused). Admins only."""
    if not n_clicks or not editing:
        raise PreventUpdate
    user = auth.current_user()
    if user is None or not user.can("admin"):
        return no_update, forms.message(REFUSED), no_update, no_update
    rt = get_runtime()
    try:
        playbooks.delete_rule(rt.db(), int(editing["id"]), int(editing["version"]), user.email)
    except StaleEdit as e:
        return no_update, forms.message(f"Not deleted: this rule was {e}."), _rules_view(rt), no_update
    except RuleError as e:
        return no_update, forms.message(str(e.errors.get("form", e))), _rules_view(rt), no_update
    except (KeyError, TypeError, ValueError):
        return no_update, forms.message("The form does not match a rule; reload the page."), no_update, no_update
    return False, None, _rules_view(rt), forms.message("Deleted the rule; the actions it opened stay.", "success")


@callback(Output(ids.PLAYBOOK_RULE_MODAL, "is_open", allow_duplicate=True), Input(ids.PLAYBOOK_RULE_CANCEL, "n_clicks"),
          prevent_initial_call=True)
def close_form(n_clicks):
    return False if n_clicks else no_update
