"""Settings (admins only): every metric's target and yellow band, grouped by page, the revenue plan,
quotas, rep targets, alert rules (``pages/_alert_rules.py``) and the change history.

Saving goes through ``data_access.target_store.save_edits`` (validated, locked, atomic,
audited); every callback here checks the admin role on the server first, whatever the
browser sent.
"""
from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

import auth
from components import formatting, ids
from data_access.catalog import Metric
from data_access.metrics import UNASSIGNED_OWNER, owner_options
from data_access.runtime import get_runtime
from data_access.targets import HEALTH_SCORE_METRIC, MONTH_RE, SLA_PRIORITIES, rep_quotas, target_for
from data_access.warehouse import parameters_of
from data_access.target_form import (check_rep_target, check_row, check_usd, shown_band, shown_input, target_spec,
                                     zone_text)
from data_access.target_store import (EditError, TargetsBusy, default_targets, form_values, plan_metric, plan_months,
                                      read_audit, rep_target_metrics, save_edits, save_metric_rep_targets,
                                      save_plan_months, save_rep_quotas, save_section, scenarios_revision,
                                      section_revision)
from data_access.scenarios import DEFAULT_BEST_WEIGHT, DEFAULT_WORST_WEIGHT, STAGE_FRAME
from data_access.target_form import check_component_weights, check_scenarios, check_sla_targets
from pages._alert_rules import rules_tab  # the Alert rules tab (its callbacks register on import)
from pages._health_config import health_tab  # the Health score tab (likewise)
from pages._playbooks import playbooks_tab  # the Playbooks tab (likewise)

dash.register_page(__name__, path="/settings", name="Settings", title="Pulse · Settings", order=80,
                   required_role="admin")

REFUSED = "Only admins can change targets."
DIRECTION = {"higher": "higher is better", "lower": "lower is better"}
UNIT_NAME = {"usd": "USD", "ratio": "percent", "multiple": "multiple (×)", "days": "days", "count": "count",
             "hours": "business hours", "score": "score (−100…100)"}
FIELD_LABEL = {"target": "target", "monthly_plan_usd": "monthly plan", "yellow_band": "band"}


# ---------------------------------------------------------------- builders (pure)

def effective_options(today: dt.date, months_ahead: int = 12) -> list[dict]:
    """"Applies from" choices: the current month and the next ``months_ahead`` (history is not rewritten)."""
    out = []
    y, m = today.year, today.month
    for _ in range(months_ahead + 1):
        day = dt.date(y, m, 1)
        out.append({"label": day.strftime("%B %Y"), "value": day.isoformat()})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _addon(text: str | None):
    return [dbc.InputGroupText(text)] if text else []


def value_input(ident, value, usd: bool, placeholder: str | None = None) -> dbc.Input:
    """A form field. An amount in USD is a text field showing ``2,000,000`` (a number field would show
    2000000), read back by ``target_form.parse_amount``; any other unit is a number field. Neither
    carries ``min``/``max``: a browser turns an out-of-range number into "no value", and the hint
    should say what is wrong instead."""
    if usd:
        return dbc.Input(id=ident, type="text", value=value, inputmode="decimal", autocomplete="off",
                         placeholder=placeholder)
    return dbc.Input(id=ident, type="number", value=value, step="any", inputmode="decimal", placeholder=placeholder)


def section_tab(label: str, tab_id: str, intro, body_id: str, save_label: str, save_id: str,
                message_id: str) -> dbc.Tab:
    """One Settings section: the ``intro`` text, the form a callback fills into ``body_id`` (a spinner
    while it loads), and the Save button with its message below."""
    return dbc.Tab(label=label, tab_id=tab_id, children=dbc.Card([
        dbc.CardBody([
            html.P(intro, className="text-muted small"),
            dcc.Loading(html.Div(id=body_id), type="dot", delay_show=300, target_components={body_id: "children"}),
        ]),
        dbc.CardFooter([
            dbc.Button(save_label, id=save_id, color="primary"),
            html.Div(id=message_id, className="settings-message mt-2"),
        ]),
    ], className="mb-4 settings-card"))


def metric_row(metric: Metric, in_force_text: str, target_value, band_value) -> html.Tr:
    """One metric: title, what is in force, the target and band inputs (``target_value`` as
    ``shown_input`` gives it), the zone / message cell."""
    spec = target_spec(metric)
    target_input = dbc.InputGroup(
        _addon(spec.prefix)
        + [value_input(ids.settings_field(ids.SETTINGS_TARGET, metric.id), target_value, spec.usd)]
        + _addon(spec.suffix),
        size="sm", className="settings-input")
    band_input = dbc.InputGroup(
        [value_input(ids.settings_field(ids.SETTINGS_BAND, metric.id), band_value, False),
         dbc.InputGroupText("% of target")],
        size="sm", className="settings-input")
    return html.Tr([
        html.Td([html.Div(metric.title, className="fw-semibold"),
                 html.Div(f"{UNIT_NAME[metric.unit]} · {DIRECTION[metric.direction]}",
                          className="small text-muted")]),
        html.Td(in_force_text, className="small settings-in-force"),
        html.Td([html.Div(spec.label, className="settings-field-label"), target_input]),
        html.Td([html.Div("Yellow band", className="settings-field-label"), band_input]),
        html.Td(html.Div(id=ids.settings_field(ids.SETTINGS_HINT, metric.id), className="small settings-hint")),
    ], className="settings-row", id=f"settings-row-{metric.id}")


def in_force_text(metric: Metric, targets, today: dt.date, data_as_of: dt.date | None = None) -> str:
    """What is in force for ``metric`` in the month of ``today``; for the revenue plan also the plan to
    date on ``data_as_of`` (the as-of date of the card's data, so both show the same figure)."""
    edit = form_values(metric, targets, today)
    if plan_metric(metric):
        day = data_as_of or today
        ytd, _ = target_for(metric, targets, day)
        return (f"{formatting.usd(edit.target)} a month · plan to date {formatting.usd(ytd)} "
                f"(as of {day:%b} {day.day}) · band {shown_band(edit.yellow_band)}%")
    return f"{formatting.target_text(edit.target, metric.unit, metric.direction)} · band {shown_band(edit.yellow_band)}%"


def targets_form(catalog, targets, today: dt.date, data_as_of: dt.date | None = None) -> list:
    """Metrics grouped by their own page (catalog order; a metric also shown elsewhere is listed
    once), each row with its in-force values pre-filled (the plan to date on ``data_as_of``)."""
    sections = []
    for page_id, page in catalog.pages.items():
        metrics = [m for m in catalog.metrics.values() if m.page == page_id]
        if not metrics:
            continue
        rows = []
        for m in metrics:
            edit = form_values(m, targets, today)
            rows.append(metric_row(m, in_force_text(m, targets, today, data_as_of), shown_input(m, edit.target),
                                   shown_band(edit.yellow_band)))
        sections.append(html.Div([
            html.H5(page.title, className="settings-page-title"),
            dbc.Table([html.Thead(html.Tr([html.Th("Metric"), html.Th("In force"), html.Th("Target"),
                                           html.Th("Yellow band"), html.Th("Colours")])),
                       html.Tbody(rows)],
                      size="sm", className="settings-table align-middle mb-0", borderless=False),
        ], className="mb-3", id=f"settings-page-{page_id}"))
    return sections


def _rep_names(store, views) -> dict[str, str]:
    """Owner id (text) → rep name, from the cached frames of ``views``."""
    names = {}
    for view in views:
        cached = store.get(view.query)
        if cached is not None:
            names.update({str(o["value"]): o["label"] for o in owner_options(cached.frame)
                          if o["value"] != UNASSIGNED_OWNER})
    return names


def _rep_rows(names: dict[str, str], values: dict[int, float]) -> list[tuple[str, str, float | None]]:
    """``(owner id, name, value or None)`` for every named rep and every rep with a value, by name
    (a rep with a value but no name in the frames is named by owner id)."""
    names = {**names, **{str(o): f"Owner {o}" for o in values if str(o) not in names}}
    return sorted(((o, n, values.get(int(o))) for o, n in names.items()), key=lambda r: r[1].lower())


def quota_reps(catalog, store, targets, day: dt.date) -> list[tuple[str, str, float | None]]:
    """``(owner id, name, quarterly quota in force on day or None)`` for every rep in the cached
    Pipeline Coverage by rep frame (open pipeline or won this quarter) and every rep with a quota,
    by name (a rep with a quota but not in the frame is named by owner id)."""
    views = [v for m in catalog.metrics.values() for v in m.views if v.quota_coverage]
    return _rep_rows(_rep_names(store, views), targets.revenue_plan.rep_quarter_quotas(day))


def target_reps(metric: Metric, store, targets, day: dt.date) -> list[tuple[str, str, float | None]]:
    """``(owner id, name, the rep's own target in force on day, stored units, or None)`` for every rep in
    the metric's per-rep views and every rep with a target of their own, by name."""
    return _rep_rows(_rep_names(store, [v for v in metric.views if v.rep_target]), rep_quotas(metric, targets, day))


def rep_target_form(metric: Metric, reps: list[tuple[str, str, float | None]], default: float):
    """One row per rep: name, the target in force (their own or the metric's ``default``), the input in
    the metric's display unit (blank: the metric's target), a hint."""
    if not reps:
        return html.P("No reps yet: this metric's per-rep view has not been refreshed.", className="text-muted small mb-0")
    spec = target_spec(metric)
    shown_default = formatting.value(default, metric.unit)
    rows = [html.Tr([
        html.Td(name, className="fw-semibold"),
        html.Td(f"{formatting.value(own, metric.unit)} (own target)" if own is not None
                else f"{shown_default} (the metric's target)", className="small settings-in-force"),
        html.Td(dbc.InputGroup(
            _addon(spec.prefix)
            + [value_input(ids.quota_field(ids.SETTINGS_REP_TARGET, owner),
                           shown_input(metric, own) if own is not None else None, spec.usd,
                           placeholder=f"{shown_input(metric, default)} (the metric's)")]
            + _addon(spec.suffix), size="sm", className="settings-input")),
        html.Td(html.Div(id=ids.quota_field(ids.SETTINGS_REP_TARGET_HINT, owner), className="small settings-hint")),
    ], className="settings-row", id=f"settings-rep-target-{owner}") for owner, name, own in reps]
    return dbc.Table([html.Thead(html.Tr([html.Th("Rep"), html.Th("In force"), html.Th("Own target"), html.Th("")])),
                      html.Tbody(rows)], size="sm", className="settings-table settings-quota-table align-middle mb-0")


def quota_form(reps: list[tuple[str, str, float | None]]):
    """One row per rep: name, the quota in force, the input (USD per quarter; blank: no quota), a hint."""
    if not reps:
        return html.P("No reps yet: the Pipeline Coverage by rep frame has not been refreshed.",
                      className="text-muted small mb-0")
    rows = [html.Tr([
        html.Td(name, className="fw-semibold"),
        html.Td(f"{formatting.usd(quota)} a quarter" if quota is not None else "no quota",
                className="small settings-in-force"),
        html.Td(dbc.InputGroup([dbc.InputGroupText("$"),
                                value_input(ids.quota_field(ids.SETTINGS_QUOTA, owner), formatting.usd_input(quota),
                                            True, placeholder="no quota"),
                                dbc.InputGroupText("per quarter")], size="sm", className="settings-input")),
        html.Td(html.Div(id=ids.quota_field(ids.SETTINGS_QUOTA_HINT, owner), className="small settings-hint")),
    ], className="settings-row", id=f"settings-quota-{owner}") for owner, name, quota in reps]
    return dbc.Table([html.Thead(html.Tr([html.Th("Rep"), html.Th("In force"), html.Th("Quarterly quota"),
                                          html.Th("")])), html.Tbody(rows)],
                     size="sm", className="settings-table settings-quota-table align-middle mb-0")


def plan_form(months: list[tuple[str, float, bool]], monthly_usd: float):
    """One row per month: the month, its plan in force, the input (USD; blank: the monthly plan), a hint."""
    if not months:
        return html.P("No months to set from this month.", className="text-muted small mb-0")
    rows = [html.Tr([
        html.Td(dt.date.fromisoformat(f"{month}-01").strftime("%B %Y"), className="fw-semibold"),
        html.Td(f"{formatting.usd(usd)}" + (" (set for this month)" if own else " (monthly plan)"),
                className="small settings-in-force"),
        html.Td(dbc.InputGroup([dbc.InputGroupText("$"),
                                value_input(ids.plan_field(ids.SETTINGS_PLAN_MONTH, month),
                                            formatting.usd_input(usd) if own else None, True,
                                            placeholder=f"{formatting.usd_input(monthly_usd)} (monthly plan)")],
                               size="sm", className="settings-input")),
        html.Td(html.Div(id=ids.plan_field(ids.SETTINGS_PLAN_HINT, month), className="small settings-hint")),
    ], className="settings-row", id=f"settings-plan-{month}") for month, usd, own in months]
    return dbc.Table([html.Thead(html.Tr([html.Th("Month"), html.Th("In force"), html.Th("Planned revenue"),
                                          html.Th("")])), html.Tbody(rows)],
                     size="sm", className="settings-table settings-quota-table align-middle mb-0")


def _month_name(key: str) -> str:
    try:
        return dt.date.fromisoformat(f"{key}-01").strftime("%b %Y")
    except ValueError:
        return key


def _plan_change_text(old: dict, new: dict) -> list[str]:
    return [f"plan for {_month_name(m)} {_change_text(None, 'monthly_plan_usd', old.get(m))} → "
            f"{_change_text(None, 'monthly_plan_usd', v)}" for m, v in new.items()]


def _rep_target_change_text(metric: Metric, old: dict, new: dict, names: dict[str, str]) -> list[str]:
    def shown(v):
        return _change_text(metric, "target", v) if v is not None else "the metric's"
    return [f"target of {names.get(o, f'owner {o}')} {shown(old.get(o))} → {shown(v)}" for o, v in new.items()]


def _quota_change_text(old: dict, new: dict, names: dict[str, str]) -> list[str]:
    return [f"quota of {names.get(o, f'owner {o}')} "
            f"{formatting.usd(old.get(o)) if old.get(o) is not None else 'none'} → "
            f"{formatting.usd(v) if v is not None else 'none'}" for o, v in new.items()]


def _scenario_change_text(old: dict, new: dict) -> list[str]:
    """``commit threshold 70% → 60%``, ``best weight of Proposal 1.25 → 1.5`` (only what changed)."""
    out = []
    if old.get("commit_threshold") != new.get("commit_threshold"):
        out.append(f"commit threshold {_change_text(None, 'yellow_band', old.get('commit_threshold'))} → "
                   f"{_change_text(None, 'yellow_band', new.get('commit_threshold'))}")
    for key, name in (("best_weights", "best"), ("worst_weights", "worst")):
        before, after = old.get(key) or {}, new.get(key) or {}
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue
        for stage in sorted(set(before) | set(after)):
            if before.get(stage) != after.get(stage):
                out.append(f"{name} weight of {stage} {_change_text(None, 'weight', before.get(stage))} → "
                           f"{_change_text(None, 'weight', after.get(stage))}")
    return out or ["pipeline scenarios unchanged"]


def _sla_change_text(old: dict, new: dict) -> list[str]:
    """``urgent first reply 1 h → 2 h`` (only what changed)."""
    out = []
    for priority in SLA_PRIORITIES:
        before, after = old.get(priority) or {}, new.get(priority) or {}
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue
        for part, name in (("first_reply_hours", "first reply"), ("resolution_hours", "resolution")):
            if before.get(part) != after.get(part):
                out.append(f"{priority} {name} {_change_text(None, 'weight', before.get(part))} h → "
                           f"{_change_text(None, 'weight', after.get(part))} h")
    return out or ["support SLA targets unchanged"]


def _weights_change_text(catalog, old: dict, new: dict) -> list[str]:
    """``weight of Win Rate (90 days) default → 2`` (only what changed; default: the catalog's)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ["health score weights changed"]
    out = []
    for mid in sorted(set(old) | set(new)):
        if old.get(mid) != new.get(mid):
            title = catalog.metrics[mid].title if mid in catalog.metrics else mid
            text = lambda v: "default" if v is None else _change_text(None, "weight", v)  # noqa: E731
            out.append(f"weight of {title} {text(old.get(mid))} → {text(new.get(mid))}")
    return out or ["health score weights unchanged"]


def _change_text(metric: Metric | None, field: str, value) -> str:
    if value is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return "—"
    if field == "yellow_band":
        return f"{shown_band(value)}%"
    if field == "monthly_plan_usd" or metric is None:
        return formatting.usd(value) if field == "monthly_plan_usd" else f"{value:g}"
    return formatting.value(value, metric.unit)


def history_table(records: list[dict], catalog, tz: str, names: dict[str, str] | None = None) -> html.Div:
    """The audit log, newest first: when, who, metric, old → new, applies from (rep quotas by the
    rep's name from ``names``, owner id → name)."""
    if not records:
        return html.P("No changes yet.", className="text-muted small")
    rows = []
    for r in records:
        metric = catalog.metrics.get(r.get("metric"))
        old, new = r.get("old") or {}, r.get("new") or {}
        changes = []
        for k, v in (new.items() if isinstance(new, dict) else []):
            if k == "rep_quotas" and isinstance(v, dict) and isinstance(old.get(k) or {}, dict):
                changes += _quota_change_text(old.get(k) or {}, v, names or {})
            elif k == "plan_months" and isinstance(v, dict) and isinstance(old.get(k) or {}, dict):
                changes += _plan_change_text(old.get(k) or {}, v)
            elif k == "pipeline_scenarios" and isinstance(v, dict) and isinstance(old.get(k) or {}, dict):
                changes += _scenario_change_text(old.get(k) or {}, v)
            elif k == "support_sla_targets" and isinstance(v, dict) and isinstance(old.get(k) or {}, dict):
                changes += _sla_change_text(old.get(k) or {}, v)
            elif k == "health_score_weights" and isinstance(v, dict) and isinstance(old.get(k) or {}, dict):
                changes += _weights_change_text(catalog, (old.get(k) or {}).get("weights") or {}, v.get("weights") or {})
            elif k == "rep_targets" and metric is not None and isinstance(v, dict) and isinstance(old.get(k) or {}, dict):
                changes += _rep_target_change_text(metric, old.get(k) or {}, v, names or {})
            else:
                changes.append(f"{FIELD_LABEL.get(k, k)} {_change_text(metric, k, old.get(k))} → "
                               f"{_change_text(metric, k, v)}")
        try:
            when = formatting.local_time(dt.datetime.fromisoformat(str(r.get("at")).replace("Z", "+00:00")), tz)
        except ValueError:
            when = str(r.get("at"))
        rows.append(html.Tr([html.Td(when, className="text-nowrap"), html.Td(str(r.get("user", "?"))),
                             html.Td(metric.title if metric else str(r.get("metric"))),
                             html.Td("; ".join(changes)), html.Td(str(r.get("effective_from", "")))]))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("When", "Who", "Metric", "Change", "Applies from")])),
                      html.Tbody(rows)], size="sm", hover=True, className="settings-history-table pulse-surface")


def file_status(error: str | None):
    if not error:
        return None
    return dbc.Alert([html.Strong("The targets file on disk is invalid. "), error,
                      " Saving here writes a valid file (the invalid one is kept beside it as "
                      "targets.json.rejected-…)."], color="warning", className="settings-file-error")


def denied() -> html.Div:
    return html.Div([html.H2("Settings", className="page-title"),
                     dbc.Alert("Settings are for admins. Ask an admin to change a target.", color="secondary",
                               className="settings-denied mt-3")])


def layout(**_query) -> html.Div:
    """The page skeleton (no data: Dash also calls this to validate ids, and its result is sent
    to every browser); callbacks fill the form and history for admins only. Everyone else
    gets a short notice (and the server refuses their writes anyway)."""
    if not auth.has_role("admin"):
        return denied()
    rt = get_runtime()
    options = effective_options(rt.today())
    rep_options = [{"label": m.title, "value": m.id} for m in rep_target_metrics(rt.catalog)]
    return html.Div([
        html.Div([html.H2("Settings", className="page-title"),
                  html.P("Targets colour the cards: green at or better than the target, yellow within the band, "
                         "red beyond it. A change applies from the month you choose, in every web process within "
                         "seconds; earlier months keep the targets they had. Each section saves on its own.", className="text-muted")],
                 className="page-head"),
        html.Div(id=ids.SETTINGS_FILE_STATUS),
        html.Div([dbc.Label("Changes apply from", html_for=ids.SETTINGS_EFFECTIVE,
                            className="small text-muted mb-0 me-2 text-nowrap"),
                  dcc.Dropdown(id=ids.SETTINGS_EFFECTIVE, options=options, value=options[0]["value"],
                               clearable=False, searchable=False, className="settings-effective")],
                 className="d-flex align-items-center mb-3 settings-effective-bar"),
        dbc.Tabs([
          dbc.Tab(label="Targets", tab_id="targets", children=dbc.Card([
            # the spinner only while the rows load (not while validation updates hints: typing goes on)
            dbc.CardBody(dcc.Loading(html.Div(id=ids.SETTINGS_FORM), type="dot", delay_show=300,
                                     target_components={ids.SETTINGS_FORM: "children"})),
            dbc.CardFooter([
                dbc.Button("Save", id=ids.SETTINGS_SAVE, color="primary", className="me-2"),
                dbc.Button("Reset to default", id=ids.SETTINGS_RESET, color="secondary", outline=True),
                html.Div(id=ids.SETTINGS_MESSAGE, className="settings-message mt-2"),
            ]),
          ], className="mb-4 settings-card")),
          section_tab("Revenue plan", "plan",
                      "Planned revenue for single months, in USD, for the twelve months from the month "
                      "chosen. Blank: the month follows the monthly plan (Revenue YTD's target, on Targets). Revenue YTD "
                      "and Revenue by month vs target use these figures; Pipeline Coverage uses the quarter's "
                      "plan.",
                      ids.SETTINGS_PLAN, "Save plan", ids.SETTINGS_PLAN_SAVE, ids.SETTINGS_PLAN_MESSAGE),
          section_tab("Sales quotas", "quotas",
                      "Each rep's quota for a calendar quarter, in USD. Pipeline Coverage by rep divides a rep's "
                      "open pipeline by what is left of their quota this quarter. Leave a quota blank for none. "
                      "Changes apply from the month chosen at the top.",
                      ids.SETTINGS_QUOTAS, "Save quotas", ids.SETTINGS_QUOTAS_SAVE, ids.SETTINGS_QUOTAS_MESSAGE),
          dbc.Tab(label="Rep targets", tab_id="rep_targets", children=dbc.Card([
            dbc.CardHeader(dbc.Row([
                dbc.Col(html.H4("Rep targets", className="mb-0"), className="d-flex align-items-center"),
                dbc.Col([dbc.Label("Metric", html_for=ids.SETTINGS_REP_METRIC,
                                   className="small text-muted mb-0 me-2"),
                         dcc.Dropdown(id=ids.SETTINGS_REP_METRIC, options=rep_options, value=rep_options[0]["value"]
                                      if rep_options else None, clearable=False, searchable=False,
                                      className="settings-effective")],
                        width="auto", className="d-flex align-items-center"),
            ], className="g-2 justify-content-between")),
            dbc.CardBody([
                html.P("A rep's own target for a metric, in the metric's unit; blank: the rep is held to the "
                       "metric's target. The metric's by-rep view shows each rep's status against it. Changes "
                       "apply from the month chosen at the top.", className="text-muted small"),
                dcc.Loading(html.Div(id=ids.SETTINGS_REP_TARGETS), type="dot", delay_show=300,
                            target_components={ids.SETTINGS_REP_TARGETS: "children"}),
            ]),
            dbc.CardFooter([
                dbc.Button("Save rep targets", id=ids.SETTINGS_REP_TARGETS_SAVE, color="primary"),
                html.Div(id=ids.SETTINGS_REP_TARGETS_MESSAGE, className="settings-message mt-2"),
            ]),
          ], className="mb-4 settings-card")),
          section_tab("Pipeline scenarios", "scenarios",
                      "The Weighted Pipeline's scenarios on the Sales page: each counts an open deal at amount × "
                      "min(1, stage probability × stage weight). Base: every weight 1. Commit: only the stages whose "
                      "probability is at or above the threshold. Best and worst: a weight per stage (0–10; blank: "
                      f"{DEFAULT_BEST_WEIGHT:g} for best, {DEFAULT_WORST_WEIGHT:g} for worst). In force as soon as "
                      "saved.",
                      ids.SETTINGS_SCENARIOS, "Save scenarios", ids.SETTINGS_SCENARIOS_SAVE, ids.SETTINGS_SCENARIOS_MESSAGE),
          section_tab("Support SLA", "sla",
                      "Each Zendesk priority's targets, in business hours of the support schedule (holidays "
                      "excluded): the first public reply by an agent, and full resolution (creation to the last "
                      "solve). Ticket SLA Compliance counts a solved ticket as met when both are within them; "
                      "the Support drill-downs show each ticket against them. In force as soon as saved, for "
                      "every day computed from then on.",
                      ids.SETTINGS_SLA, "Save SLA targets", ids.SETTINGS_SLA_SAVE, ids.SETTINGS_SLA_MESSAGE),
          section_tab("Company health", "company_health",
                      "The Company Health Score (0–100) is Σ weight × component score ÷ Σ weight over the "
                      "components with data; each component scores 100 × min(1, value ÷ target) against its own "
                      "target (on Targets). Only the ratios of the weights matter; 0 leaves a component out, "
                      "blank keeps the default. In force as soon as saved; the card follows within a minute.",
                      ids.SETTINGS_HEALTH_WEIGHTS, "Save weights", ids.SETTINGS_HEALTH_WEIGHTS_SAVE, ids.SETTINGS_HEALTH_WEIGHTS_MESSAGE),
          dbc.Tab(label="Customer health", tab_id="health", children=health_tab()),
          dbc.Tab(label="Alert rules", tab_id="alerts", children=rules_tab(rt.catalog)),
          dbc.Tab(label="Playbooks", tab_id="playbooks", children=playbooks_tab()),
          dbc.Tab(label="Change history", tab_id="history", children=dbc.Card(
              dbc.CardBody(html.Div(id=ids.SETTINGS_HISTORY)), className="mb-4 settings-card")),
        ], id=ids.SETTINGS_TABS, active_tab="targets", className="mb-3 settings-tabs",
           persistence=True, persistence_type="session"),  # the section last open, per browser tab
        dcc.Interval(id=ids.SETTINGS_INTERVAL, interval=30_000),
    ])


# ---------------------------------------------------------------- callbacks

def _by_id(items: list[dict], key: str = "metric") -> dict:
    """``ctx.states_list`` / ``inputs_list`` entries (pattern ids) → ``{id[key]: value}`` (text keys only)."""
    out = {}
    for item in items or []:
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, dict) and isinstance(ident.get(key), str):
            out[ident[key]] = item.get("value")
    return out


def _by_owner(items: list[dict]) -> dict[str, object]:
    """Quota inputs → ``{owner id: value}``; ids that are not owner ids (digits) are dropped."""
    return {o: v for o, v in _by_id(items, "owner").items() if o.isdigit() and len(o) <= 18}


def _data_as_of(rt) -> dt.date:
    """The as-of date of the revenue plan metric's cached value (the date its card's target is for),
    else today."""
    for m in rt.catalog.metrics.values():
        if plan_metric(m):
            meta = rt.store.get_meta(m.query)
            if meta is not None:
                return meta.as_of
    return rt.today()


def _month(value) -> dt.date | None:
    """The chosen "applies from" month, if it is one of the offered ones."""
    allowed = {o["value"] for o in effective_options(get_runtime().today())}
    return dt.date.fromisoformat(value) if isinstance(value, str) and value in allowed else None


def _history(rt, day: dt.date | None = None) -> html.Div:
    """The change history as ``history_table`` shows it, reps named from the cached frames."""
    names = _rep_names(rt.store, [v for m in rt.catalog.metrics.values() for v in m.views
                                  if v.quota_coverage or v.rep_target])
    names.update({o: n for o, n, _ in quota_reps(rt.catalog, rt.store, rt.targets().targets, day or rt.today())})
    return history_table(read_audit(rt.settings.targets_path), rt.catalog, rt.settings.timezone, names)


@callback(Output(ids.SETTINGS_FORM, "children"), Input(ids.SETTINGS_EFFECTIVE, "value"))
def fill_form(effective):
    """The rows, pre-filled with the values in force in the chosen month (admins only)."""
    if not auth.has_role("admin"):
        return dbc.Alert(REFUSED, color="danger")
    rt = get_runtime()
    return targets_form(rt.catalog, rt.targets().targets, _month(effective) or rt.today(), _data_as_of(rt))


@callback(
    Output(ids.SETTINGS_HISTORY, "children"),
    Output(ids.SETTINGS_FILE_STATUS, "children"),
    Input(ids.SETTINGS_INTERVAL, "n_intervals"),
)
def show_history(_n):
    """On load and every 30 s: the change history and whether the file on disk is valid (admins only)."""
    if not auth.has_role("admin"):
        return None, None
    rt = get_runtime()
    return (_history(rt),
            file_status(rt.targets().error))


@callback(
    Output(ids.settings_field(ids.SETTINGS_TARGET, ALL), "invalid"),
    Output(ids.settings_field(ids.SETTINGS_BAND, ALL), "invalid"),
    Output(ids.settings_field(ids.SETTINGS_HINT, ALL), "children"),
    Output(ids.SETTINGS_SAVE, "disabled"),
    Input(ids.settings_field(ids.SETTINGS_TARGET, ALL), "value"),
    Input(ids.settings_field(ids.SETTINGS_BAND, ALL), "value"),
)
def validate_targets(_targets, _bands):
    """Inline validation: red inputs with the reason, the colour zones of valid rows, Save off while invalid."""
    if not auth.has_role("admin"):
        return *([no_update] * len(outs) for outs in ctx.outputs_list[:3]), True  # one per pattern input
    catalog = get_runtime().catalog
    targets, bands = _by_id(ctx.inputs_list[0]), _by_id(ctx.inputs_list[1])
    t_bad, b_bad, hints = [], [], []
    for out in ctx.outputs_list[2]:
        metric = catalog.metrics.get(out["id"]["metric"])
        if metric is None:
            t_bad.append(True), b_bad.append(True), hints.append("Unknown metric.")
            continue
        edit, errors = check_row(metric, targets.get(metric.id), bands.get(metric.id))
        t_bad.append("target" in errors)
        b_bad.append("band" in errors)
        hints.append(html.Span(" ".join(errors.values()), className="text-danger settings-error") if errors
                     else html.Span(zone_text(metric, edit), className="text-muted"))
    return t_bad, b_bad, hints, any(t_bad) or any(b_bad)


NO_CHANGE = (no_update, no_update, no_update)


def _alert(text, color: str = "danger", class_name: str = "") -> dbc.Alert:
    return dbc.Alert(text, color=color, className=f"mb-0 {class_name}".strip())


PLAN_PARAMETER = "quarter_revenue_target_usd"  # the plan, as data_access.refresh.query_params binds it
SLA_PARAMETER_PREFIX = "sla_"  # the support SLA targets (sla_<priority>_first_reply_minutes, …)


def recompute_using(rt, uses, what: str) -> str:
    """Ask the worker to refresh now every warehouse metric whose SQL (its views' included) takes a
    parameter for which ``uses(name)`` is true, so a saved setting reaches those cards within a
    minute rather than at their next scheduled refresh. ``what``: the setting, for the sentence the
    Save message shows (returned; "" when no metric uses it)."""
    using = [m for m in rt.catalog.metrics.values() if m.source == "warehouse"
             and any(uses(p) for q in (m.query, *(v.query for v in m.views)) for p in parameters_of(q))]
    if not using:
        return ""
    titles = ", ".join(m.title for m in using)
    verb = "is" if len(using) == 1 else "are"
    try:
        for m in using:
            rt.coordinator.request_refresh(m.id)
    except Exception as e:  # the queue (Redis) is down: the save stands, the cards follow at their next refresh
        return f"{titles} will use {what} at the next scheduled refresh ({type(e).__name__})."
    return f"{titles} {verb} being recomputed with {what} (within a minute)."


def recompute_with_plan(rt) -> str:
    """``recompute_using`` for the revenue plan (``@quarter_revenue_target_usd``: Pipeline Coverage)."""
    return recompute_using(rt, lambda p: p == PLAN_PARAMETER, "the new plan")


class _NotSaved(Exception):
    """A Save that writes nothing; ``message`` is what the user reads (``no_update``: nothing to say)."""

    def __init__(self, message):
        super().__init__()
        self.message = message


def _saver(n_clicks, effective):
    """The checks every Save makes first: a click, an admin (the server decides, whatever the browser
    sent) and an offered month. Returns ``(user, runtime, month)``; raises ``_NotSaved``."""
    if not n_clicks:
        raise _NotSaved(no_update)
    user = auth.current_user()
    if user is None or not user.can("admin"):
        raise _NotSaved(_alert(REFUSED))
    month = _month(effective)
    if month is None:
        raise _NotSaved(_alert("Choose the month the change applies from."))
    return user, get_runtime(), month


def _write(problems: list[str], save):
    """``save()`` when the form had no ``problems``; its ``SaveResult``. Raises ``_NotSaved`` with the reason."""
    if problems:
        raise _NotSaved(_alert(["Nothing saved. Fix these first:",
                                html.Ul([html.Li(p) for p in problems], className="mb-0")]))
    try:
        return save()
    except (EditError, TargetsBusy) as e:
        raise _NotSaved(_alert(f"Nothing saved: {e}")) from None
    except OSError as e:
        raise _NotSaved(_alert(f"Nothing saved: the targets file could not be written ({type(e).__name__}).")) from None


@callback(
    Output(ids.SETTINGS_MESSAGE, "children"),
    Output(ids.SETTINGS_FORM, "children", allow_duplicate=True),
    Output(ids.SETTINGS_HISTORY, "children", allow_duplicate=True),
    Output(ids.SETTINGS_FILE_STATUS, "children", allow_duplicate=True),
    Input(ids.SETTINGS_SAVE, "n_clicks"),
    State(ids.settings_field(ids.SETTINGS_TARGET, ALL), "value"),
    State(ids.settings_field(ids.SETTINGS_BAND, ALL), "value"),
    State(ids.SETTINGS_EFFECTIVE, "value"),
    prevent_initial_call=True,
)
def save_targets(n_clicks, _targets, _bands, effective):
    """Validate every row, then write the changed ones (locked, atomic, audited). Admins only."""
    try:
        user, rt, month = _saver(n_clicks, effective)
        targets, bands = _by_id(ctx.states_list[0]), _by_id(ctx.states_list[1])
        if not targets or set(targets) != set(bands) or set(targets) - set(rt.catalog.metrics):
            raise _NotSaved(_alert("The form does not match the catalog; reload the page."))
        edits, problems = {}, []
        for mid in targets:
            edit, errors = check_row(rt.catalog.metrics[mid], targets[mid], bands[mid])
            if errors:
                problems.append(f"{rt.catalog.metrics[mid].title}: {' '.join(errors.values())}")
            else:
                edits[mid] = edit
        result = _write(problems, lambda: save_edits(rt.settings.targets_path, rt.catalog, edits, month, user.email,
                                                     rt.targets().targets))
    except _NotSaved as e:
        return (e.message, *NO_CHANGE)
    loaded = rt.targets()
    form = targets_form(rt.catalog, loaded.targets, month, _data_as_of(rt))
    history = _history(rt)
    if not result.changes:
        return _alert("No changes to save.", "secondary"), form, history, file_status(loaded.error)
    names = ", ".join(rt.catalog.metrics[c.metric].title for c in result.changes)
    n = len(result.changes)
    message = f"Saved {n} change{'s' if n != 1 else ''} ({names}), applying from {month:%B %Y}."
    if any("monthly_plan_usd" in c.new for c in result.changes):
        message += " " + recompute_with_plan(rt)
    return _alert(message, "success", "settings-saved"), form, history, file_status(loaded.error)


def _check_usd_inputs(key: str, check=check_usd):
    """For a validation callback over value inputs (pattern ids keyed by ``key``; outputs: invalid flags,
    hints, the Save button's ``disabled``): each value through ``check`` (``raw → (value, message)``;
    USD by default), red inputs with the reason, Save off while one is invalid."""
    if not auth.has_role("admin"):  # pattern outputs take one value per input
        return [no_update] * len(ctx.outputs_list[0]), [no_update] * len(ctx.outputs_list[1]), True
    values = _by_id(ctx.inputs_list[0], key)
    bad, hints = [], []
    for out in ctx.outputs_list[1]:
        _, error = check(values.get(out["id"][key]))
        bad.append(error is not None)
        hints.append(html.Span(error, className="text-danger settings-error") if error else None)
    return bad, hints, any(bad)


def _parse_usd(values: dict[str, object], label, check=check_usd) -> tuple[dict[str, float | None], list[str]]:
    """Form values (key → raw) through ``check`` (USD by default; ``None`` when blank) and the problems,
    each named by ``label(key)``."""
    parsed, problems = {}, []
    for key, raw in values.items():
        parsed[key], error = check(raw)
        if error:
            problems.append(f"{label(key)}: {error}")
    return parsed, problems


@callback(Output(ids.SETTINGS_QUOTAS, "children"), Input(ids.SETTINGS_EFFECTIVE, "value"))
def fill_quotas(effective):
    """The rep quota rows, pre-filled with the quotas in force in the chosen month (admins only)."""
    if not auth.has_role("admin"):
        return dbc.Alert(REFUSED, color="danger")
    rt = get_runtime()
    return quota_form(quota_reps(rt.catalog, rt.store, rt.targets().targets, _month(effective) or rt.today()))


@callback(
    Output(ids.quota_field(ids.SETTINGS_QUOTA, ALL), "invalid"),
    Output(ids.quota_field(ids.SETTINGS_QUOTA_HINT, ALL), "children"),
    Output(ids.SETTINGS_QUOTAS_SAVE, "disabled"),
    Input(ids.quota_field(ids.SETTINGS_QUOTA, ALL), "value"),
)
def validate_quotas(_values):
    """Inline validation of the quota inputs; Save quotas off while one is invalid."""
    return _check_usd_inputs("owner")


@callback(
    Output(ids.SETTINGS_QUOTAS_MESSAGE, "children"),
    Output(ids.SETTINGS_QUOTAS, "children", allow_duplicate=True),
    Output(ids.SETTINGS_HISTORY, "children", allow_duplicate=True),
    Output(ids.SETTINGS_FILE_STATUS, "children", allow_duplicate=True),
    Input(ids.SETTINGS_QUOTAS_SAVE, "n_clicks"),
    State(ids.quota_field(ids.SETTINGS_QUOTA, ALL), "value"),
    State(ids.SETTINGS_EFFECTIVE, "value"),
    prevent_initial_call=True,
)
def save_quotas(n_clicks, _values, effective):
    """Validate every quota, then write the changed ones as a dated plan entry (locked, atomic,
    audited). Admins only. Coverage by rep reads the quotas when it renders: no refresh needed."""
    try:
        user, rt, month = _saver(n_clicks, effective)
        values = _by_owner(ctx.states_list[0])
        if not values:
            raise _NotSaved(_alert("The form has no reps; reload the page."))
        reps = {o: n for o, n, _ in quota_reps(rt.catalog, rt.store, rt.targets().targets, month)}
        parsed, problems = _parse_usd(values, lambda owner: reps.get(owner, f"Owner {owner}"))
        quotas = {int(owner): usd for owner, usd in parsed.items()}
        result = _write(problems, lambda: save_rep_quotas(rt.settings.targets_path, rt.catalog, quotas, month,
                                                          user.email, rt.targets().targets))
    except _NotSaved as e:
        return (e.message, *NO_CHANGE)
    loaded = rt.targets()
    form = quota_form(quota_reps(rt.catalog, rt.store, loaded.targets, month))
    if not result.changes:
        return _alert("No changes to save.", "secondary"), form, _history(rt, month), file_status(loaded.error)
    n = len(result.changes[0].new["rep_quotas"])
    message = f"Saved {n} quota change{'s' if n != 1 else ''}, applying from {month:%B %Y}."
    return _alert(message, "success", "settings-saved"), form, _history(rt, month), file_status(loaded.error)


def _by_month(items: list[dict]) -> dict[str, object]:
    """Plan month inputs → ``{YYYY-MM: value}``; ids that are not months are dropped."""
    return {m: v for m, v in _by_id(items, "month").items() if MONTH_RE.fullmatch(m)}


@callback(Output(ids.SETTINGS_PLAN, "children"), Input(ids.SETTINGS_EFFECTIVE, "value"))
def fill_plan(effective):
    """The plan's month rows from the chosen month, pre-filled with the figures in force (admins only)."""
    if not auth.has_role("admin"):
        return dbc.Alert(REFUSED, color="danger")
    rt = get_runtime()
    month, targets = _month(effective) or rt.today().replace(day=1), rt.targets().targets
    return plan_form(plan_months(targets, month), targets.revenue_plan.entry_on(month).monthly_usd)


@callback(
    Output(ids.plan_field(ids.SETTINGS_PLAN_MONTH, ALL), "invalid"),
    Output(ids.plan_field(ids.SETTINGS_PLAN_HINT, ALL), "children"),
    Output(ids.SETTINGS_PLAN_SAVE, "disabled"),
    Input(ids.plan_field(ids.SETTINGS_PLAN_MONTH, ALL), "value"),
)
def validate_plan(_values):
    """Inline validation of the month inputs; Save plan off while one is invalid."""
    return _check_usd_inputs("month")


@callback(
    Output(ids.SETTINGS_PLAN_MESSAGE, "children"),
    Output(ids.SETTINGS_PLAN, "children", allow_duplicate=True),
    Output(ids.SETTINGS_HISTORY, "children", allow_duplicate=True),
    Output(ids.SETTINGS_FILE_STATUS, "children", allow_duplicate=True),
    Input(ids.SETTINGS_PLAN_SAVE, "n_clicks"),
    State(ids.plan_field(ids.SETTINGS_PLAN_MONTH, ALL), "value"),
    State(ids.SETTINGS_EFFECTIVE, "value"),
    prevent_initial_call=True,
)
def save_plan(n_clicks, _values, effective):
    """Validate every month, then write the changed ones into a dated plan entry (locked, atomic,
    audited) and have the metrics that use the plan in their SQL recomputed. Admins only."""
    try:
        user, rt, month = _saver(n_clicks, effective)
        values = _by_month(ctx.states_list[0])
        if not values:
            raise _NotSaved(_alert("The form has no months; reload the page."))
        months, problems = _parse_usd(values, _month_name)
        result = _write(problems, lambda: save_plan_months(rt.settings.targets_path, rt.catalog, months, month,
                                                           user.email, rt.targets().targets))
    except _NotSaved as e:
        return (e.message, *NO_CHANGE)
    loaded = rt.targets()
    form = plan_form(plan_months(loaded.targets, month), loaded.targets.revenue_plan.entry_on(month).monthly_usd)
    if not result.changes:
        return _alert("No changes to save.", "secondary"), form, _history(rt, month), file_status(loaded.error)
    changed = list(result.changes[0].new["plan_months"])
    message = (f"Saved the plan for {len(changed)} month{'s' if len(changed) != 1 else ''} "
               f"({', '.join(_month_name(m) for m in changed)}), applying from {month:%B %Y}. "
               + recompute_with_plan(rt))
    return _alert(message.strip(), "success", "settings-saved"), form, _history(rt, month), file_status(loaded.error)


def _rep_metric(metric_id) -> Metric | None:
    """The chosen metric, if it is one with per-rep targets."""
    rt = get_runtime()
    return next((m for m in rep_target_metrics(rt.catalog) if m.id == metric_id), None)


def _rep_target_rows(rt, metric: Metric, targets, month: dt.date):
    return rep_target_form(metric, target_reps(metric, rt.store, targets, month), target_for(metric, targets, month)[0])


@callback(Output(ids.SETTINGS_REP_TARGETS, "children"), Input(ids.SETTINGS_REP_METRIC, "value"),
          Input(ids.SETTINGS_EFFECTIVE, "value"))
def fill_rep_targets(metric_id, effective):
    """The chosen metric's per-rep rows, pre-filled with the targets in force in the chosen month (admins only)."""
    if not auth.has_role("admin"):
        return dbc.Alert(REFUSED, color="danger")
    rt, metric = get_runtime(), _rep_metric(metric_id)
    if metric is None:
        return html.P("Choose a metric.", className="text-muted small mb-0")
    return _rep_target_rows(rt, metric, rt.targets().targets, _month(effective) or rt.today())


@callback(
    Output(ids.quota_field(ids.SETTINGS_REP_TARGET, ALL), "invalid"),
    Output(ids.quota_field(ids.SETTINGS_REP_TARGET_HINT, ALL), "children"),
    Output(ids.SETTINGS_REP_TARGETS_SAVE, "disabled"),
    Input(ids.quota_field(ids.SETTINGS_REP_TARGET, ALL), "value"),
    State(ids.SETTINGS_REP_METRIC, "value"),
)
def validate_rep_targets(_values, metric_id):
    """Inline validation in the chosen metric's unit; Save rep targets off while one is invalid."""
    metric = _rep_metric(metric_id)
    if metric is None:
        return _check_usd_inputs("owner", lambda raw: (None, "Choose a metric."))
    return _check_usd_inputs("owner", lambda raw: check_rep_target(metric, raw))


@callback(
    Output(ids.SETTINGS_REP_TARGETS_MESSAGE, "children"),
    Output(ids.SETTINGS_REP_TARGETS, "children", allow_duplicate=True),
    Output(ids.SETTINGS_HISTORY, "children", allow_duplicate=True),
    Output(ids.SETTINGS_FILE_STATUS, "children", allow_duplicate=True),
    Input(ids.SETTINGS_REP_TARGETS_SAVE, "n_clicks"),
    State(ids.quota_field(ids.SETTINGS_REP_TARGET, ALL), "value"),
    State(ids.SETTINGS_REP_METRIC, "value"),
    State(ids.SETTINGS_EFFECTIVE, "value"),
    prevent_initial_call=True,
)
def save_rep_targets(n_clicks, _values, metric_id, effective):
    """Validate every rep's target, then write the changed ones as a dated entry of the metric (locked,
    atomic, audited). Admins only. The by-rep view reads them when it renders: no refresh needed."""
    try:
        user, rt, month = _saver(n_clicks, effective)
        metric = _rep_metric(metric_id)
        if metric is None:
            raise _NotSaved(_alert("Choose a metric with per-rep targets."))
        values = _by_owner(ctx.states_list[0])
        if not values:
            raise _NotSaved(_alert("The form has no reps; reload the page."))
        reps = {o: n for o, n, _ in target_reps(metric, rt.store, rt.targets().targets, month)}
        parsed, problems = _parse_usd(values, lambda owner: reps.get(owner, f"Owner {owner}"),
                                      lambda raw: check_rep_target(metric, raw))
        result = _write(problems, lambda: save_metric_rep_targets(
            rt.settings.targets_path, rt.catalog, metric.id, {int(o): v for o, v in parsed.items()}, month,
            user.email, rt.targets().targets))
    except _NotSaved as e:
        return (e.message, *NO_CHANGE)
    loaded = rt.targets()
    form = _rep_target_rows(rt, metric, loaded.targets, month)
    if not result.changes:
        return _alert("No changes to save.", "secondary"), form, _history(rt, month), file_status(loaded.error)
    n = len(result.changes[0].new["rep_targets"])
    message = f"Saved {n} {metric.title} rep target{'s' if n != 1 else ''}, applying from {month:%B %Y}."
    return _alert(message, "success", "settings-saved"), form, _history(rt, month), file_status(loaded.error)


@callback(
    Output(ids.settings_field(ids.SETTINGS_TARGET, ALL), "value"),
    Output(ids.settings_field(ids.SETTINGS_BAND, ALL), "value"),
    Output(ids.quota_field(ids.SETTINGS_QUOTA, ALL), "value"),
    Output(ids.plan_field(ids.SETTINGS_PLAN_MONTH, ALL), "value"),
    Output(ids.quota_field(ids.SETTINGS_REP_TARGET, ALL), "value"),
    Output(ids.SETTINGS_MESSAGE, "children", allow_duplicate=True),
    Input(ids.SETTINGS_RESET, "n_clicks"),
    State(ids.SETTINGS_EFFECTIVE, "value"),
    State(ids.SETTINGS_REP_METRIC, "value"),
    prevent_initial_call=True,
)
def reset_to_default(n_clicks, effective, rep_metric_id=None):
    """Fill the form with the shipped defaults (catalog targets, the shipped revenue plan with its
    months and rep quotas, the shown metric's rep targets); each part's Save applies them."""
    unchanged = [[no_update] * len(outs) for outs in ctx.outputs_list[:5]]  # pattern outputs need one per input
    if not n_clicks:
        return *unchanged, no_update
    if not auth.has_role("admin"):
        return *unchanged, _alert(REFUSED)
    rt = get_runtime()
    defaults, month = default_targets(), _month(effective) or rt.today()
    values = {}
    for mid, metric in rt.catalog.metrics.items():
        edit = form_values(metric, defaults, month)
        values[mid] = (shown_input(metric, edit.target), shown_band(edit.yellow_band))
    t_out = [values.get(o["id"]["metric"], (None, None))[0] for o in ctx.outputs_list[0]]
    b_out = [values.get(o["id"]["metric"], (None, None))[1] for o in ctx.outputs_list[1]]
    quotas = defaults.revenue_plan.rep_quarter_quotas(month)
    q_out = [formatting.usd_input(quotas.get(int(o["id"]["owner"]))) if str(o["id"]["owner"]).isdigit() else None
             for o in ctx.outputs_list[2]]
    plan = defaults.revenue_plan.entry_on(month).months
    p_out = [formatting.usd_input(plan.get(o["id"]["month"])) for o in ctx.outputs_list[3]]  # blank: the monthly plan
    rep_metric = _rep_metric(rep_metric_id)
    own = rep_quotas(rep_metric, defaults, month) if rep_metric else {}
    r_out = [shown_input(rep_metric, own[int(o["id"]["owner"])])
             if rep_metric and str(o["id"]["owner"]).isdigit() and int(o["id"]["owner"]) in own else None
             for o in ctx.outputs_list[4]]  # blank: the metric's target
    return t_out, b_out, q_out, p_out, r_out, _alert("Defaults filled in (targets, the plan by month, quotas and "
                                                     "rep targets). Save each part to apply it.", "info")


# ---------------------------------------------------------------- whole sections (scenarios, SLA, weights)

def _fill_section(form):
    """A whole-section form (``form(rt)``), or the refusal for a non-admin."""
    if not auth.has_role("admin"):
        return dbc.Alert(REFUSED, color="danger")
    return form(get_runtime())


def _revision(states: list | None) -> str:
    """The fingerprint a form was filled from (its revision store, read through ``ALL``); "" if absent."""
    value = next((i.get("value") for i in states or [] if isinstance(i, dict)), None)
    return value if isinstance(value, str) else ""


def _save_section(n_clicks, section: str, check, form, saved: str, follow=lambda rt: "") -> tuple:
    """Save one whole section of the targets file from its form: admins only (decided here, whatever
    the browser sent); ``check(rt)`` → ``(values, problems)`` of the form; written locked, atomic and
    audited, refused when the section changed since the form was filled (the revision store, the
    callback's last State). Returns the message, the form again (``form(rt)``), the history and the
    file status; ``saved`` and ``follow(rt)`` (what happens next: a recompute) make the success message."""
    if not n_clicks:
        return (no_update, *NO_CHANGE)
    user = auth.current_user()
    if user is None or not user.can("admin"):
        return (_alert(REFUSED), *NO_CHANGE)
    rt = get_runtime()
    values, problems = check(rt)
    revision = _revision(ctx.states_list[-1])
    try:
        result = _write(problems, lambda: save_section(rt.settings.targets_path, rt.catalog, section, values,
                                                       revision, user.email, rt.targets().targets))
    except _NotSaved as e:
        return (e.message, *NO_CHANGE)
    loaded = rt.targets()
    if not result.changes:
        return _alert("No changes to save.", "secondary"), form(rt), _history(rt), file_status(loaded.error)
    return (_alert(f"{saved} {follow(rt)}".strip(), "success", "settings-saved"), form(rt), _history(rt),
            file_status(loaded.error))


# ---------------------------------------------------------------- pipeline scenarios

def scenario_stages(store, scenarios) -> list[str]:
    """The stages the form offers: those of the cached per-stage frame in pipeline order, then any
    that only the saved weights name (a stage with no open deal this quarter keeps its weight)."""
    cached = store.get(STAGE_FRAME)
    labels = []
    if cached is not None and not cached.frame.empty:
        ordered = cached.frame.sort_values(["stage_order", "stage_label"], kind="stable")
        labels = [str(v) for v in ordered["stage_label"].drop_duplicates()]
    extra = sorted((set(scenarios.best_weights) | set(scenarios.worst_weights)) - set(labels))
    return labels + extra


def scenarios_form(stages: list[str], scenarios, revision: str) -> html.Div:
    """The commit threshold (a percentage) and each stage's best / worst weight, pre-filled."""
    rows = [html.Tr([html.Td(stage),
                     html.Td(dbc.Input(id=ids.scenario_weight(ids.SETTINGS_SCENARIO_BEST, stage), type="number",
                                       step="any", value=scenarios.best_weights.get(stage),
                                       placeholder=f"{DEFAULT_BEST_WEIGHT:g}")),
                     html.Td(dbc.Input(id=ids.scenario_weight(ids.SETTINGS_SCENARIO_WORST, stage), type="number",
                                       step="any", value=scenarios.worst_weights.get(stage),
                                       placeholder=f"{DEFAULT_WORST_WEIGHT:g}"))]) for stage in stages]
    return html.Div([
        dcc.Store(id=ids.scenario_weight(ids.SETTINGS_SCENARIOS_REVISION, "revision"), data=revision),
        dbc.Label("Commit threshold (stage probability, %)"),
        dbc.InputGroup([dbc.Input(id=ids.scenario_weight(ids.SETTINGS_SCENARIO_THRESHOLD, "threshold"), type="number", step="any",
                                  value=shown_band(scenarios.commit_threshold)), dbc.InputGroupText("%")],
                       className="mb-3 settings-scenario-threshold", style={"maxWidth": "14rem"}),
        dbc.Table([html.Thead(html.Tr([html.Th("Stage"), html.Th("Best weight"), html.Th("Worst weight")])),
                   html.Tbody(rows)], size="sm", className="settings-scenarios-table")
        if rows else html.P("No stage yet: the weights appear after the first refresh.", className="text-muted small"),
    ])


def _scenarios_form(rt) -> html.Div:
    scenarios = rt.targets().targets
    return scenarios_form(scenario_stages(rt.store, scenarios.pipeline_scenarios), scenarios.pipeline_scenarios,
                          scenarios_revision(scenarios))


@callback(Output(ids.SETTINGS_SCENARIOS, "children"), Input(ids.SETTINGS_EFFECTIVE, "value"))
def fill_scenarios(_effective):
    """The scenario form, pre-filled with the weights in force (admins only)."""
    return _fill_section(_scenarios_form)


@callback(
    Output(ids.SETTINGS_SCENARIOS_MESSAGE, "children"),
    Output(ids.SETTINGS_SCENARIOS, "children", allow_duplicate=True),
    Output(ids.SETTINGS_HISTORY, "children", allow_duplicate=True),
    Output(ids.SETTINGS_FILE_STATUS, "children", allow_duplicate=True),
    Input(ids.SETTINGS_SCENARIOS_SAVE, "n_clicks"),
    State(ids.scenario_weight(ids.SETTINGS_SCENARIO_THRESHOLD, ALL), "value"),  # pattern ids: filled later
    State(ids.scenario_weight(ids.SETTINGS_SCENARIO_BEST, ALL), "value"),
    State(ids.scenario_weight(ids.SETTINGS_SCENARIO_WORST, ALL), "value"),
    State(ids.scenario_weight(ids.SETTINGS_SCENARIOS_REVISION, ALL), "data"),
    prevent_initial_call=True,
)
def save_pipeline_scenarios(n_clicks, _threshold, _best, _worst, _revision):
    """Validate the threshold and every weight, then write the section (``_save_section``)."""
    def check(_rt):
        threshold = _by_id(ctx.states_list[0], "stage").get("threshold")
        return check_scenarios(threshold, _by_id(ctx.states_list[1], "stage"), _by_id(ctx.states_list[2], "stage"))

    return _save_section(n_clicks, "pipeline_scenarios", check, _scenarios_form,
                         "Saved the pipeline scenarios; the Sales page uses them from its next read.")


# ---------------------------------------------------------------- support SLA targets

SLA_PARTS = (("first_reply_hours", "First reply (business hours)"), ("resolution_hours", "Resolution (business hours)"))


def sla_form(sla, revision: str) -> html.Div:
    """One row per Zendesk priority (most urgent first) with its first reply and resolution targets
    in business hours, pre-filled with ``sla`` (``targets.SupportSlaTargets``)."""
    rows = [html.Tr([html.Td(priority.capitalize(), className="fw-semibold")]
                    + [html.Td(dbc.InputGroup([
                        dbc.Input(id=ids.sla_field(priority, part), type="number", step="any",
                                  value=getattr(getattr(sla, priority), part), inputmode="decimal"),
                        dbc.InputGroupText("h")], size="sm", className="settings-input"))
                       for part, _ in SLA_PARTS])
            for priority in SLA_PRIORITIES]
    return html.Div([
        dcc.Store(id=ids.sla_revision(), data=revision),
        dbc.Table([html.Thead(html.Tr([html.Th("Priority")] + [html.Th(label) for _, label in SLA_PARTS])),
                   html.Tbody(rows)], size="sm", className="settings-sla-table", style={"maxWidth": "40rem"}),
    ])


def _sla_form(rt) -> html.Div:
    targets = rt.targets().targets
    return sla_form(targets.support_sla_targets, section_revision(targets, "support_sla_targets"))


@callback(Output(ids.SETTINGS_SLA, "children"), Input(ids.SETTINGS_EFFECTIVE, "value"))
def fill_sla(_effective):
    """The Support SLA form, pre-filled with the targets in force (admins only)."""
    return _fill_section(_sla_form)


@callback(
    Output(ids.SETTINGS_SLA_MESSAGE, "children"),
    Output(ids.SETTINGS_SLA, "children", allow_duplicate=True),
    Output(ids.SETTINGS_HISTORY, "children", allow_duplicate=True),
    Output(ids.SETTINGS_FILE_STATUS, "children", allow_duplicate=True),
    Input(ids.SETTINGS_SLA_SAVE, "n_clicks"),
    State(ids.sla_field(ALL, ALL), "value"),  # pattern ids: filled later
    State(ids.sla_revision(ALL), "data"),
    prevent_initial_call=True,
)
def save_sla_targets(n_clicks, _hours, _revision):
    """Validate the eight targets, then write the section (``_save_section``) and ask the worker to
    recompute the metrics whose SQL reads them."""
    def check(_rt):
        raw = {}
        for item in ctx.states_list[0] or []:
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, dict) and ident.get("priority") in SLA_PRIORITIES:
                raw[(ident["priority"], ident.get("part"))] = item.get("value")
        return check_sla_targets(raw)

    return _save_section(n_clicks, "support_sla_targets", check, _sla_form, "Saved the support SLA targets.",
                         lambda rt: recompute_using(rt, lambda p: p.startswith(SLA_PARAMETER_PREFIX),
                                                    "the new SLA targets"))


# ---------------------------------------------------------------- company health score weights

def health_weights_form(catalog, weights, revision: str) -> html.Div:
    """One row per component of the Company Health Score (catalog order): its title, the weight set
    on Settings (blank: the catalog's, shown as the placeholder) and the share of the score it has
    with the weights in force (before leaving out components without data)."""
    score = catalog.metrics[HEALTH_SCORE_METRIC]
    shown = {c.metric: weights.weight(c.metric, c.weight) for c in score.components}
    total = sum(shown.values())
    rows = [html.Tr([html.Td(catalog.metrics[c.metric].title),
                     html.Td(dbc.Input(id=ids.health_weight(c.metric), type="number",
                                       step="any", value=weights.weights.get(c.metric), placeholder=f"{c.weight:g}",
                                       inputmode="decimal", size="sm", className="settings-input")),
                     html.Td(f"{shown[c.metric] / total:.0%}" if total > 0 else "—", className="text-muted")])
            for c in score.components]
    return html.Div([
        dcc.Store(id=ids.health_weights_revision(), data=revision),
        dbc.Table([html.Thead(html.Tr([html.Th("Component"), html.Th("Weight (0–10)"), html.Th("Share in force")])),
                   html.Tbody(rows)], size="sm", className="settings-health-weights-table",
                  style={"maxWidth": "40rem"}),
    ])


def _health_weights_form(rt) -> html.Div:
    targets = rt.targets().targets
    return health_weights_form(rt.catalog, targets.health_score_weights,
                               section_revision(targets, "health_score_weights"))


@callback(Output(ids.SETTINGS_HEALTH_WEIGHTS, "children"), Input(ids.SETTINGS_EFFECTIVE, "value"))
def fill_health_weights(_effective):
    """The Company health weights form, pre-filled with the weights in force (admins only)."""
    return _fill_section(_health_weights_form)


@callback(
    Output(ids.SETTINGS_HEALTH_WEIGHTS_MESSAGE, "children"),
    Output(ids.SETTINGS_HEALTH_WEIGHTS, "children", allow_duplicate=True),
    Output(ids.SETTINGS_HISTORY, "children", allow_duplicate=True),
    Output(ids.SETTINGS_FILE_STATUS, "children", allow_duplicate=True),
    Input(ids.SETTINGS_HEALTH_WEIGHTS_SAVE, "n_clicks"),
    State(ids.health_weight(ALL), "value"),  # pattern ids: filled later
    State(ids.health_weights_revision(ALL), "data"),
    prevent_initial_call=True,
)
def save_health_weights(n_clicks, _weights, _revision):
    """Validate the weights, then write the section (``_save_section``; all weights 0 is refused when
    the file is parsed) and ask the worker to recompute the score."""
    def check(rt):
        titles = {c.metric: rt.catalog.metrics[c.metric].title
                  for c in rt.catalog.metrics[HEALTH_SCORE_METRIC].components}
        return check_component_weights(_by_id(ctx.states_list[0]), titles)

    def follow(rt) -> str:
        try:
            rt.coordinator.request_refresh(HEALTH_SCORE_METRIC)
        except Exception as e:  # the queue (Redis) is down: the save stands, the card follows at its next refresh
            return f"The Company Health Score uses them at its next scheduled refresh ({type(e).__name__})."
        return "The Company Health Score is being recomputed with them (within a minute)."

    return _save_section(n_clicks, "health_score_weights", check, _health_weights_form,
                         "Saved the health score weights.", follow)
