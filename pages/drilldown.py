"""Drill-down modal callbacks, shared by every page with KPI cards.

Every callback reads cached frames only (``data_access.metrics``); filters apply
to the cached frame in memory.
"""
from __future__ import annotations

import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, no_update

from components import drilldown, formatting, ids
from components.kpi_card import STATUS_COLOR, STATUS_LABEL
from data_access.metrics import month_start, owner_options, snapshot
from data_access.view_cache import filtered_view
from data_access.runtime import get_runtime

HIDE = {"display": "none"}
SHOW = {}


@callback(
    Output(ids.DRILLDOWN_MODAL, "is_open"),
    Output(ids.DRILLDOWN_STATE, "data"),
    Output(ids.DRILLDOWN_TABS, "children"),
    Output(ids.DRILLDOWN_TABS, "active_tab"),
    Input(ids.kpi_card(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def open_drilldown(clicks):
    """Open the modal for the clicked card, with one tab per view."""
    if not ctx.triggered_id or not any(clicks or []) or not ctx.triggered[0].get("value"):
        return no_update, no_update, no_update, no_update
    metric = get_runtime().catalog.metrics[ctx.triggered_id["metric"]]
    first = metric.views[0].id if metric.views else None
    return True, {"metric": metric.id}, drilldown.tabs(metric), first


@callback(Output(ids.DRILLDOWN_HEADER, "children"), Input(ids.DRILLDOWN_STATE, "data"), prevent_initial_call=True)
def show_header(state):
    """Modal title with the metric's current value and status."""
    rt = get_runtime()
    metric = rt.catalog.metrics[state["metric"]]
    snap = snapshot(metric, rt.store, rt.targets().targets, rt.today())
    value = formatting.value(snap.value, metric.unit) if snap.status != "nodata" else ""
    return drilldown.header(metric, value, STATUS_LABEL[snap.status], STATUS_COLOR[snap.status],
                            formatting.as_of_text(snap.as_of, snap.refreshed_at))


@callback(
    Output(ids.FILTER_REP, "options"),
    Output(ids.FILTER_START, "options"),
    Output(ids.FILTER_END, "options"),
    Output({"type": "filter-col", "dim": ALL}, "style"),
    Input(ids.DRILLDOWN_TABS, "active_tab"),
    State(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def set_filter_options(view_id, state):
    """Rep and month choices from the view's cached frame; hide filters the view lacks."""
    rt = get_runtime()
    metric = rt.catalog.metrics[state["metric"]] if state else None
    view = metric.view(view_id) if metric and view_id else None
    cached = rt.store.get(view.query) if view else None
    if view is None or cached is None:
        return [], [], [], [HIDE, HIDE, HIDE]
    has_owner = "owner" in view.filters and "owner_id" in cached.frame.columns
    has_month = "month" in view.filters and "month" in cached.frame.columns
    months = drilldown.month_options(cached.frame["month"].tolist()) if has_month else []
    reps = owner_options(cached.frame) if has_owner else []
    month_style = SHOW if has_month else HIDE
    return reps, months, months, [SHOW if has_owner else HIDE, month_style, month_style]


@callback(
    Output(ids.FILTER_REP, "value"),
    Output(ids.FILTER_START, "value"),
    Output(ids.FILTER_END, "value"),
    Input(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def reset_filters(_state):
    """A newly opened drill-down starts unfiltered."""
    return [], None, None


@callback(
    Output(ids.DRILLDOWN_BODY, "children"),
    Input(ids.DRILLDOWN_TABS, "active_tab"),
    Input(ids.FILTER_REP, "value"),
    Input(ids.FILTER_START, "value"),
    Input(ids.FILTER_END, "value"),
    State(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def render_view(view_id, reps, start, end, state):
    """The active view's chart and table, filtered by rep and month range."""
    rt = get_runtime()
    if not state or not view_id:
        return no_update
    metric = rt.catalog.metrics[state["metric"]]
    view = metric.view(view_id)
    if view is None:
        return no_update
    df = filtered_view(rt, metric, view, owners=[int(r) for r in reps or []],
                       start=month_start(start), end=month_start(end))
    return drilldown.view_body(view, df if df is not None else pd.DataFrame())



@callback(
    Output(ids.REFRESH_NOTICE, "children"),
    Input(ids.REFRESH_NOW, "n_clicks"),
    State(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def request_refresh(n_clicks, state):
    """Ask the worker to refresh this metric now (through Redis; this process runs no query)."""
    if not n_clicks or not state:
        return no_update
    rt = get_runtime()
    metric_id = state["metric"]
    if metric_id not in rt.catalog.metrics:
        return "Unknown metric."
    try:
        rt.coordinator.request_refresh(metric_id)
    except Exception as e:  # Redis down: say so, lose nothing
        return f"Could not request a refresh ({type(e).__name__}); try again when the cache is back."
    return "Refresh requested: the worker updates this metric within a minute."


@callback(Output(ids.REFRESH_NOTICE, "children", allow_duplicate=True), Input(ids.DRILLDOWN_STATE, "data"),
          prevent_initial_call=True)
def clear_refresh_notice(_state):
    """A newly opened drill-down has no refresh notice."""
    return ""
