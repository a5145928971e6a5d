"""Company Health: the KPI grid leadership opens first."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from components import formatting, ids
from components.kpi_card import kpi_card
from data_access.metrics import snapshot
from data_access.refresh import api_source
from data_access.runtime import get_runtime

PAGE = "company_health"

dash.register_page(__name__, path="/", name="Company Health", title="Pulse · Company Health", order=0)


def kpi_grid() -> list:
    """Cards of every Company Health metric, from cached frames only."""
    rt = get_runtime()
    loaded = rt.targets()
    cols = []
    for metric in rt.catalog.metrics_on(PAGE):
        snap = snapshot(metric, rt.store, loaded.targets, rt.today())
        as_of = formatting.as_of_text(snap.as_of, snap.refreshed_at)
        if snap.as_of is None and not rt.cache_available:
            as_of = "Cache unavailable: the value returns with it"
        card = kpi_card(metric, snap.value, snap.target, snap.status, as_of,
                        stale_sla=formatting.sla_text(metric.freshness_sla_minutes) if snap.stale else None,
                        failure=failure_text(snap, rt.settings.timezone),
                        not_connected=connect_hint(metric, rt.settings))
        cols.append(dbc.Col(card, xs=12, sm=6, lg=4, xxl=3))
    alerts = []
    if loaded.error:
        alerts.append(dbc.Col(dbc.Alert(loaded.error, color="warning", className="mb-3"), xs=12))
    return alerts + cols


def connect_hint(metric, settings) -> str | None:
    """For an API source that is not configured: how to connect it (no error)."""
    if metric.source == "warehouse":
        return None
    src = api_source(metric.source)
    return None if src.is_connected(settings) else src.CONNECT_HINT


def failure_text(snap, tz: str) -> str | None:
    """``Last refresh failed Nov 21 14:05 EST (BadRequest); last success Nov 21 09:00 EST``."""
    if not snap.last_error:
        return None
    when = formatting.local_time(snap.last_attempt_at, tz) if snap.last_attempt_at else "recently"
    ok = formatting.local_time(snap.refreshed_at, tz) if snap.refreshed_at else "never"
    return f"Last refresh failed {when} ({snap.last_error}); last success {ok}"


def layout(**_query) -> html.Div:
    """Page layout; reads only the frame cache (no warehouse I/O)."""
    page = get_runtime().catalog.pages[PAGE]
    return html.Div(
        [
            html.Div(
                [html.H2(page.title, className="page-title"),
                 html.P(page.description + " Click a card for details; hover it for the definition.",
                        className="text-muted")],
                className="page-head",
            ),
            dbc.Row(kpi_grid(), id=ids.KPI_GRID, className="g-3"),
            dcc.Interval(id=ids.GRID_INTERVAL, interval=60_000),
        ]
    )


@callback(Output(ids.KPI_GRID, "children"), Input(ids.GRID_INTERVAL, "n_intervals"), prevent_initial_call=True)
def refresh_grid(_n):
    """Re-read the cards from the cache every minute, so a refresh shows without a reload."""
    return kpi_grid()
