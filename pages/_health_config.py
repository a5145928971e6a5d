"""Settings › Health score (issue 15): the customer health score's weights and marks, saved as a new
configuration version (``data_access.health``: validated, audited, a version saved by someone else since
the form was loaded refuses the save), and the versions so far. Admins only: every callback checks the
role on the server first. Scores from the next daily run use the new version.

Imported by ``pages/settings.py`` (its tab), not a page of its own.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import auth
from components import forms, formatting, ids
from data_access import health
from data_access.db import StaleEdit
from data_access.runtime import get_runtime

REFUSED = "Only admins can change the health score."
PART_LABEL = {"weight": "Weight (%)", "full_at": "Scores 100 at", "zero_at": "Scores 0 at"}
UNITS = {"revenue_trend": "ratio, e.g. 1.0 = level", "invoice_recency": "days",
         "contract_pace": "share behind pace, e.g. −0.5", "meeting_recency": "days"}


def form_values(config: health.HealthConfig) -> dict[tuple[str, str], str]:
    """The form's text per (indicator, part) for ``config`` (weights in percent)."""
    out = {}
    for ind in config.indicators:
        out[(ind.name, "weight")] = f"{ind.weight * 100:g}"
        out[(ind.name, "full_at")] = f"{ind.full_at:g}"
        out[(ind.name, "zero_at")] = f"{ind.zero_at:g}"
    return out


def versions_table(versions, tz: str) -> html.Div:
    if not versions:
        return html.P("No configuration yet.", className="text-muted small mb-0")
    rows = [html.Tr([html.Td(f"v{v}"), html.Td(formatting.local_time(at, tz), className="text-nowrap"), html.Td(by),
                     html.Td(", ".join(f"{health.SHORT.get(k, k)} {w:.0%}" for k, w in weights.items()))])
            for v, by, at, weights in versions]
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("Version", "Saved", "By", "Weights")])),
                      html.Tbody(rows)], size="sm", className="health-versions pulse-surface mb-0")


def health_tab() -> dbc.Card:
    """The tab's skeleton; a callback fills the form from the database."""
    rows = []
    for name in health.LABEL:
        cells = [dbc.Col([html.Div(health.LABEL[name], className="fw-semibold"),
                          html.Div(UNITS[name], className="small text-muted")], md=3)]
        for part in health.PARTS:
            cells.append(dbc.Col(forms.field(PART_LABEL[part], dbc.Input(id=ids.health_field(name, part), type="text",
                                                                         inputmode="decimal", maxLength=20),
                                             ids.health_feedback(name, part)), md=3))
        rows.append(dbc.Row(cells, className="g-3 align-items-start health-config-row"))
    return dbc.Card(dbc.CardBody([
        html.P(["Each customer's health score (0–100, daily) is the weighted mean of these indicators; each "
                "scores 100 at its first mark and 0 at its second, linearly between. A customer without an "
                "active upfront contract is scored on the others. Saving adds a new version; the next daily "
                "run uses it."], className="text-muted small"),
        *rows,
        html.Div([dbc.Button("Save as a new version", id=ids.HEALTH_CONFIG_SAVE, color="primary"),
                  html.Div(id=ids.HEALTH_CONFIG_MESSAGE, className="flex-grow-1")],
                 className="d-flex gap-3 align-items-center mb-4"),
        html.H6("Versions", className="mb-2"),
        html.Div(id=ids.HEALTH_CONFIG_VERSIONS),
        dcc.Store(id=ids.HEALTH_CONFIG_VERSION), dcc.Store(id=ids.HEALTH_CONFIG_INIT, data=0),
    ]), className="settings-card health-config")


@callback(Output(ids.health_field(ALL, ALL), "value"), Output(ids.HEALTH_CONFIG_VERSION, "data"),
          Output(ids.HEALTH_CONFIG_VERSIONS, "children"), Input(ids.HEALTH_CONFIG_INIT, "data"))
def fill_form(_):
    """The current version in the form and the versions so far (admins only)."""
    if not auth.has_role("admin"):
        raise PreventUpdate
    rt = get_runtime()
    try:
        config = health.current_config(rt.db())
    except LookupError:
        raise PreventUpdate
    values = form_values(config)
    fields = [(o["id"]["indicator"], o["id"]["part"]) for o in ctx.outputs_list[0]]
    return ([values.get(f) for f in fields], config.version,
            versions_table(health.config_versions(rt.db()), rt.settings.timezone))


@callback(Output(ids.health_feedback(ALL, ALL), "children"), Output(ids.HEALTH_CONFIG_MESSAGE, "children"),
          Output(ids.HEALTH_CONFIG_VERSION, "data", allow_duplicate=True),
          Output(ids.HEALTH_CONFIG_VERSIONS, "children", allow_duplicate=True),
          Input(ids.HEALTH_CONFIG_SAVE, "n_clicks"), State(ids.health_field(ALL, ALL), "value"),
          State(ids.HEALTH_CONFIG_VERSION, "data"), prevent_initial_call=True)
def save(n_clicks, values, version):
    """Validate the form and save it as the next version (audited; a stale form is refused). Admins only."""
    if not n_clicks:
        raise PreventUpdate
    keys = [f"{o['id']['indicator']}.{o['id']['part']}" for o in ctx.outputs_list[0]]
    user = auth.current_user()
    if user is None or not user.can("admin"):
        return [None] * len(keys), forms.message(REFUSED), version, no_update
    raw: dict[str, dict[str, object]] = {}
    for state, value in zip(ctx.states_list[0], values):
        raw.setdefault(state["id"]["indicator"], {})[state["id"]["part"]] = value
    rt = get_runtime()
    try:
        config = health.save_config(rt.db(), health.check_config(raw), int(version or 0), user.email)
    except health.HealthConfigError as e:
        shown, alert = forms.refused(e.errors, keys)
        return shown, alert, version, no_update
    except StaleEdit as e:
        return [None] * len(keys), forms.message(f"Nothing saved: the configuration was {e} and edit again."), \
            version, no_update
    return ([None] * len(keys), forms.message(f"Saved version {config.version}; the next daily run uses it.",
                                              "success"),
            config.version, versions_table(health.config_versions(rt.db()), rt.settings.timezone))
