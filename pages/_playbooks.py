"""Settings › Playbooks (issue 15): the playbook rules table, a modal form to add, edit or delete a rule,
and the rules' recent changes (``pages/_rule_editor.py``: admins only, checked on the server). The
writes (``data_access.playbooks``) are validated, transactional, audited and version-checked. The
worker's daily customers job runs the enabled rules after the health scores.

Imported by ``pages/settings.py`` (its tab), not a page of its own.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import forms, formatting, ids
from data_access import playbooks
from data_access.db import AuditChange
from data_access.playbooks import FIELD_LABEL, FIELDS, RuleError, RuleRow, check_rule, rule_text
from pages._rule_editor import RuleEditor, card, register

IDS = ids.PLAYBOOK_RULE_EDITOR

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
        html.Td(dbc.Button("Edit", id=IDS.edit(r.id), size="sm", color="secondary", outline=True,
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
    return forms.field(label, control, IDS.feedback(name), help_text)


def rule_form() -> list:
    """The modal's inputs (values are filled when it opens)."""
    return [
        _field("Name", "name", dbc.Input(id=IDS.field("name"), type="text", maxLength=100,
                                         placeholder="e.g. Health below 50")),
        _field("When", "trigger_kind", dbc.RadioItems(
            id=IDS.field("trigger_kind"), options=[{"label": v, "value": k} for k, v in TRIGGERS.items()])),
        _field("Threshold", "threshold", dbc.Input(id=IDS.field("threshold"), type="text", inputmode="decimal",
                                                   maxLength=10),
               "Points of health score (1–100), or days (whole, 1–365) for renewals."),
        _field("Action for the customer's owner", "action",
               dbc.Textarea(id=IDS.field("action"), maxLength=300, rows=2,
                            placeholder="e.g. Schedule an executive check-in")),
        dbc.Row([
            dbc.Col(_field("Due in (days)", "due_in_days", dbc.Input(id=IDS.field("due_in_days"), type="number",
                                                                     min=1, max=90, step=1)), md=6),
            dbc.Col(_field("Not again for (days)", "repeat_after_days",
                           dbc.Input(id=IDS.field("repeat_after_days"), type="number", min=1, max=365, step=1),
                           "After an action closes, the rule waits this long before it opens another for the "
                           "same customer."), md=6),
        ]),
        _field("", "enabled", dbc.Switch(id=IDS.field("enabled"), label="Enabled")),
    ]


def _rules_view(rt) -> html.Div:
    engine = rt.db()
    return html.Div([
        rules_table(playbooks.list_rules(engine)),
        html.H5("Recent changes", className="mt-4 mb-2"),
        changes_table(playbooks.rule_changes(engine, 10), rt.settings.timezone),
    ])


def _load(rt, rule_id: int) -> dict | None:
    rule = playbooks.get_rule(rt.db(), rule_id)
    if rule is None:
        return None
    return {**{k: getattr(rule, k) for k in FIELDS}, "threshold": f"{rule.threshold:g}", "version": rule.version}


def _save(rt, raw: dict, editing: dict | None, email: str) -> str:
    rule = check_rule(raw)
    if editing:
        saved = playbooks.update_rule(rt.db(), int(editing["id"]), int(editing["version"]), rule, email)
    else:
        saved = playbooks.create_rule(rt.db(), rule, email)
    return f"{'Saved' if editing else 'Added'} the rule “{saved.name}”; the next daily run uses it."


def _delete(rt, rule_id: int, version: int, email: str) -> str:
    playbooks.delete_rule(rt.db(), rule_id, version, email)
    return "Deleted the rule; the actions it opened stay."


EDITOR = RuleEditor(
    ids=IDS, tab="playbooks", title="Playbooks", refused=REFUSED, new_title="New playbook rule",
    edit_title="Edit playbook rule", new_values=NEW_RULE, view=_rules_view, load=_load, save=_save, delete=_delete,
    refusal=RuleError,
    intro=["Every day, after the health scores, Pulse runs these rules and opens an action for each customer whose "
           "condition holds, assigned to its owner (a renewal's owner for renewals). A rule opens nothing for a "
           "customer while its action is open. The actions are on each customer's page and on ",
           html.A("Customers", href="/customers"), "; the assignee, managers and admins mark them done."])
register(EDITOR)


def playbooks_tab() -> dbc.Card:
    """The tab's card and the rule modal (skeleton; the editor's callbacks fill it for admins)."""
    return card(EDITOR, rule_form())
