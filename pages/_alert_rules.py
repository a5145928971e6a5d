"""Settings › Alert rules (issue 14.6): the rules table, a modal form to add, edit or delete a rule,
and the rules' recent changes (``pages/_rule_editor.py``: admins only, checked on the server); the
writes (``data_access.alert_rules``) are validated, transactional and audited.

Imported by ``pages/settings.py`` (its tab), not a page of its own.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from components import forms, formatting, ids
from data_access import alert_rules
from data_access.alert_rules import FIELD_LABEL, RuleError, RuleRow, check_rule
from data_access.db import AuditChange
from data_access.trends import PERIODS
from pages._rule_editor import RuleEditor, card, register

IDS = ids.ALERT_RULE_EDITOR

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
            html.Td(dbc.Button("Edit", id=IDS.edit(row.id), size="sm", color="secondary", outline=True,
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
    return forms.field(label, control, IDS.feedback(name), help_text)


def rule_form(catalog) -> list:
    """The modal's inputs (values are filled when it opens)."""
    page_order = {page_id: i for i, page_id in enumerate(catalog.pages)}
    options = [{"label": f"{m.title} · {catalog.pages[m.page].title}", "value": m.id}
               for m in sorted(catalog.metrics.values(), key=lambda m: (page_order.get(m.page, 99), m.title))]
    periods = [{"label": label[0].upper() + label[1:], "value": key} for key, (label, _, _) in PERIODS.items()]
    return [
        _field("Metric", "metric_id", dcc.Dropdown(id=IDS.field("metric_id"), options=options,
                                                   placeholder="Choose a metric", clearable=False)),
        _field("Alert when", "condition_kind", dbc.RadioItems(
            id=IDS.field("condition_kind"), options=[{"label": v, "value": k} for k, v in CONDITIONS.items()])),
        dbc.Row([
            dbc.Col(_field("Threshold", "threshold", dbc.Input(id=IDS.field("threshold"), type="text",
                                                               inputmode="decimal", placeholder="e.g. 10"),
                           "Percentage points for rates, percent for everything else."), md=6),
            dbc.Col(_field("Compared with", "period", dbc.Select(id=IDS.field("period"), options=periods)),
                    md=6),
        ]),
        _field("Refreshes in a row", "hysteresis_refreshes",
               dbc.Input(id=IDS.field("hysteresis_refreshes"), type="number", min=1, max=20, step=1),
               "The new colour (or the move) must hold this many refreshes before anyone is told: a value "
               "flapping across a boundary sends nothing."),
        _field("Send to", "channel", dbc.RadioItems(id=IDS.field("channel"), inline=True,
                                                   options=[{"label": "Email", "value": "email"},
                                                            {"label": "Slack", "value": "slack"}])),
        _field("Recipients", "recipients", dbc.Input(id=IDS.field("recipients"), type="text",
                                                     placeholder="ceo@example.com, coo@example.com"),
               "Email addresses, comma-separated. Blank: the alert list (PULSE_ALERT_EMAIL_TO)."),
        _field("", "enabled", dbc.Switch(id=IDS.field("enabled"), label="Enabled")),
    ]


def _rules_view(rt) -> html.Div:
    engine = rt.db()
    return html.Div([
        rules_table(alert_rules.list_rules(engine), rt.catalog, rt.settings),
        html.H5("Recent changes", className="mt-4 mb-2"),
        changes_table(alert_rules.rule_changes(engine, 10), rt.catalog, rt.settings.timezone),
    ])


def _load(rt, rule_id: int) -> dict | None:
    rule = alert_rules.get_rule(rt.db(), rule_id)
    if rule is None:
        return None
    return {**{k: getattr(rule, k) for k in FIELDS}, "threshold": None if rule.threshold is None else f"{rule.threshold:g}",
            "version": rule.version}


def _save(rt, raw: dict, editing: dict | None, email: str) -> str:
    if raw.get("condition_kind") != "change_pct":
        raw["threshold"], raw["period"] = None, raw.get("period") or "month"
    if raw.get("channel") == "slack":
        raw["recipients"] = ""
    rule = check_rule(raw, rt.catalog)
    if editing:
        saved = alert_rules.update_rule(rt.db(), int(editing["id"]), int(editing["version"]), rule, email)
    else:
        saved = alert_rules.create_rule(rt.db(), rule, email)
    return f"{'Saved' if editing else 'Added'} the rule on {rt.catalog.metrics[saved.metric_id].title}."


def _delete(rt, rule_id: int, version: int, email: str) -> str:
    alert_rules.delete_rule(rt.db(), rule_id, version, email)
    return "Deleted the rule."


EDITOR = RuleEditor(
    ids=IDS, tab="alerts", title="Alert rules", refused=REFUSED, new_title="New alert rule",
    edit_title="Edit alert rule", new_values=NEW_RULE, view=_rules_view, load=_load, save=_save, delete=_delete,
    refusal=RuleError,
    intro=["After each refresh Pulse checks these rules and tells people on Slack or by email; what was sent and "
           "what failed is on the ", html.A("Alerts", href="/alerts"), " page. A saved rule counts from the next "
           "refresh (the month chosen above is for targets only)."])
register(EDITOR)


def rules_tab(catalog) -> dbc.Card:
    """The tab's card and the rule modal (skeleton; the editor's callbacks fill it for admins)."""
    return card(EDITOR, rule_form(catalog))


@callback(
    Output(IDS.field("threshold"), "disabled"),
    Output(IDS.field("period"), "disabled"),
    Output(IDS.field("recipients"), "disabled"),
    Input(IDS.field("condition_kind"), "value"),
    Input(IDS.field("channel"), "value"),
)
def enable_fields(kind, channel):
    """A threshold and a period only for change rules; recipients only for email."""
    return kind != "change_pct", kind != "change_pct", channel == "slack"
