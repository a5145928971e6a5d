"""Drill-down modal callbacks, shared by every KPI page.

The modal's state (metric, view, filters, drill path) lives in one store; the URL
mirrors it (``?metric=…&view=…&rep=…&start=YYYY-MM``) so a link restores the same
drill-down and browser Back closes it. Every callback reads cached frames only
(``data_access.metrics`` / ``view_cache``); filters apply to the cached frame in memory.
"""
from __future__ import annotations

import datetime as dt
import io
import threading
import uuid

import pandas as pd
from cachetools import LRUCache
from dash import ALL, MATCH, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

import auth
from components import drilldown, figures, formatting, ids
from components.kpi_card import STATUS_COLOR, STATUS_LABEL
from data_access.export import export_frame, to_csv
from data_access.metrics import UNASSIGNED_OWNER, display_frame, month_start, owner_options, snapshot
from data_access.refresh import request_past
from data_access.renewal_deals import linked_deal_ids, lists_deals, read_renewal_deals, with_renewals
from data_access.runtime import DayRuntime, get_runtime
from data_access.targets import target_for
from data_access.view_cache import filtered_view, view_version

HIDE = {"display": "none"}
SHOW = {}
FILTER_DIMS = ("owner", "segment", "start", "end")  # order of the {"type": "filter-col"} columns
FILTER_VALUES = (ids.FILTER_REP, ids.FILTER_SEGMENT, ids.FILTER_START, ids.FILTER_END)  # same order


def _filter_values(kind):
    """``Input``/``State`` of the four filter values, in FILTER_VALUES order."""
    return [kind(i, "value") for i in FILTER_VALUES]


# Rendered view bodies (Dash components, never serialized) by metric, view, filters and the view's
# version, so a refresh or a target change is a new key; per process, the 256 most recent. Each is kept
# as ``(body, marked_at)``: for a deal list, the ``at`` of the renewal deals it marked (a new publish
# renders it again); ``NOT_A_DEAL_LIST`` otherwise (nothing to read).
RENDERED = LRUCache(maxsize=256)
_RENDERED_LOCK = threading.Lock()
NOT_A_DEAL_LIST = "not a deal list"


def _renewal_deals():
    """The published renewal deals (``data_access.renewal_deals``), from the live runtime's store: a
    past day's drill-down marks the deals renewals link now."""
    return read_renewal_deals(get_runtime().store)


def _state_day(state) -> dt.date | None:
    """The past day a drill-down shows (``state["as_of"]``, from a page's ``?as_of=``), else None."""
    try:
        return dt.date.fromisoformat((state or {}).get("as_of") or "")
    except (TypeError, ValueError):
        return None


def _metric_view(state, view_id=None):
    rt = get_runtime().for_day(_state_day(state))
    metric = rt.catalog.metrics.get((state or {}).get("metric", ""))
    if metric is None:
        return rt, None, None
    view = metric.view(view_id or state.get("view") or "") or (metric.views[0] if metric.views else None)
    return rt, metric, view


@callback(
    Output(ids.DRILLDOWN_MODAL, "is_open"),
    Output(ids.DRILLDOWN_STATE, "data"),
    Input(ids.kpi_card(ALL), "n_clicks"),
    State(ids.page_as_of(ALL), "data"),
    prevent_initial_call=True,
)
def open_drilldown(clicks, page_days):
    """Open the modal for the clicked card on its first view, unfiltered (for the page's past day, if any)."""
    if not ctx.triggered_id or not any(clicks or []) or not ctx.triggered[0].get("value"):
        return no_update, no_update
    metric = get_runtime().catalog.metrics[ctx.triggered_id["metric"]]
    first = metric.views[0].id if metric.views else None
    as_of = next((d for d in page_days or [] if d), None)
    return True, {"metric": metric.id, "view": first, "rep": None, "segment": [], "start": None, "end": None,
                  "crumbs": [], "nonce": uuid.uuid4().hex, "as_of": as_of}


@callback(
    Output(ids.DRILLDOWN_HEADER, "children"),
    Output(ids.DRILLDOWN_TABS, "children"),
    Output(ids.DRILLDOWN_TABS, "active_tab"),
    Output(ids.BREADCRUMB, "children"),
    Input(ids.DRILLDOWN_STATE, "data"),
)
def show_drilldown(state):
    """Title with the metric's value and status, one tab per view, and the drill path."""
    rt, metric, view = _metric_view(state)
    if metric is None:
        return no_update, no_update, no_update, no_update
    snap = snapshot(metric, rt.store, rt.targets().targets, rt.today())
    value = formatting.value(snap.value, metric.unit) if snap.status != "nodata" else ""
    header = drilldown.header(metric, value, STATUS_LABEL[snap.status], STATUS_COLOR[snap.status],
                              formatting.as_of_text(snap.as_of, snap.refreshed_at))
    crumbs = state.get("crumbs") or []
    label = view.title if view else ""
    if crumbs and state.get("rep_label"):
        label = f"{label}: {state['rep_label']}"
    return header, drilldown.tabs(metric), view.id if view else None, drilldown.breadcrumb(metric, crumbs, label)


@callback(
    Output(ids.FILTER_REP, "options"),
    Output(ids.FILTER_SEGMENT, "options"),
    Output(ids.FILTER_START, "options"),
    Output(ids.FILTER_END, "options"),
    Output({"type": "filter-col", "dim": ALL}, "style"),
    Output(ids.FILTER_MONTH_HINT, "children"),
    Output(ids.FILTERS_READY, "data"),
    Input(ids.DRILLDOWN_TABS, "active_tab"),
    Input(ids.DRILLDOWN_STATE, "data"),
)
def set_filter_options(view_id, state):
    """Rep (with "Unassigned" when some rows have no owner), segment and month choices from the view's
    cached frame, and the months it covers in words; hide filters the view lacks."""
    rt, metric, view = _metric_view(state, view_id)
    cached = rt.store.get(view.query) if view else None
    ready = {"nonce": (state or {}).get("nonce"), "view": view_id}
    if view is None or cached is None or cached.frame.empty:
        return [], [], [], [], [HIDE] * len(FILTER_DIMS), "", ready
    frame = cached.frame
    has = {"owner": "owner" in view.filters and "owner_id" in frame.columns,
           "segment": "segment" in view.filters and "segment" in frame.columns,
           "month": "month" in view.filters and "month" in frame.columns}
    months = drilldown.month_options(frame["month"].tolist()) if has["month"] else []
    segments = sorted(str(s) for s in frame["segment"].dropna().unique()) if has["segment"] else []
    styles = [SHOW if has["owner"] else HIDE, SHOW if has["segment"] else HIDE,
              SHOW if has["month"] else HIDE, SHOW if has["month"] else HIDE]
    return (owner_options(frame) if has["owner"] else [], segments, months, months, styles,
            drilldown.month_hint(months), ready)


@callback(
    Output(ids.FILTER_REP, "value"),
    Output(ids.FILTER_SEGMENT, "value"),
    Output(ids.FILTER_START, "value"),
    Output(ids.FILTER_END, "value"),
    Output(ids.FILTERS_APPLIED, "data"),
    Input(ids.FILTERS_READY, "data"),
    State(ids.DRILLDOWN_STATE, "data"),
    State(ids.FILTERS_APPLIED, "data"),
)
def apply_state_filters(_ready, state, applied):
    """Filter values from a new state (URL, drill step, a newly opened card; a manager's starts on their
    team), once its options exist; afterwards the user's changes stand, also across tabs."""
    if not state or state.get("nonce") == applied:
        return no_update, no_update, no_update, no_update, no_update
    reps = state.get("rep")
    return ((reps if reps is not None else auth.team_reps()), state.get("segment") or [], state.get("start"),
            state.get("end"), state.get("nonce"))


@callback(
    Output(ids.DRILLDOWN_SCOPE, "children"),
    Input(ids.DRILLDOWN_TABS, "active_tab"),
    *_filter_values(Input),
    State(ids.DRILLDOWN_STATE, "data"),
)
def show_scope(view_id, reps, segments, start, end, state):
    """Under the title: when a filter is set, that the title's value is the unfiltered total."""
    _rt, _metric, view = _metric_view(state, view_id)
    return drilldown.scope_text(_filters(reps, segments, start, end), bool(view and view.filters))


def _filters(reps, segments, start, end) -> dict:
    return {"rep": [int(r) for r in reps or []], "segment": list(segments or []), "start": start, "end": end}


def _current_frame(state, view_id, reps, segments, start, end):
    rt, metric, view = _metric_view(state, view_id)
    if view is None:
        return rt, metric, view, None
    f = _filters(reps, segments, start, end)
    df = filtered_view(rt, metric, view, owners=f["rep"], start=month_start(start), end=month_start(end),
                       segments=f["segment"])
    return rt, metric, view, df


def _reference(rt, metric, view) -> figures.Reference:
    """The metric's target in force on the view's as-of date, its direction and band (chart colours)."""
    meta = rt.store.get_meta(view.query)
    target, band = target_for(metric, rt.targets().targets, meta.as_of if meta else rt.today())
    return figures.Reference(target, metric.direction, band)


@callback(
    Output(ids.DRILLDOWN_BODY, "children"),
    Input(ids.DRILLDOWN_TABS, "active_tab"),
    *_filter_values(Input),
    Input(ids.THEME_STORE, "data"),
    State(ids.DRILLDOWN_STATE, "data"),
)
def render_view(view_id, reps, segments, start, end, theme, state):
    """The active view's chart and table, filtered by rep, segment and month range, the chart in the
    page's theme. A body already rendered for the same view, filters, theme and frame version is sent
    again as it was (``RENDERED``)."""
    if not state or not view_id:
        return no_update
    rt, metric, view = _metric_view(state, view_id)
    if view is None:
        return no_update
    f = _filters(reps, segments, start, end)
    version = view_version(rt, view)
    if version is None and isinstance(rt, DayRuntime) and view.query.split("/")[0] != "api":
        request_past(rt, metric.id, rt.day)  # the worker computes that day's frames; we poll
        return drilldown.computing_body(formatting.day_text(rt.day))
    dark = theme == "dark"
    key = (metric.id, view.id, tuple(sorted(f["rep"])), tuple(sorted(f["segment"])), start, end, dark, version)
    if version is not None:
        with _RENDERED_LOCK:
            hit = RENDERED.get(key)
        if hit is not None and (hit[1] == NOT_A_DEAL_LIST or hit[1] == _renewal_deals().at):
            return hit[0]
    try:
        _rt, _metric, view, df = _current_frame(state, view_id, reps, segments, start, end)
    except ValueError:
        return drilldown.view_body_error("The month range is not valid.")
    linked = _renewal_deals() if df is not None and lists_deals(df) else None
    body = drilldown.view_body(view, df if df is not None else pd.DataFrame(), reference=_reference(rt, metric, view),
                               dark=dark, renewal_deals=linked.deal_ids if linked else frozenset())
    if version is not None and df is not None:
        with _RENDERED_LOCK:
            RENDERED[key] = (body, linked.at if linked else NOT_A_DEAL_LIST)
    return body


@callback(
    Output(ids.DRILLDOWN_STATE, "data", allow_duplicate=True),
    Input(ids.past_poll(ALL), "n_intervals"),
    State(ids.DRILLDOWN_TABS, "active_tab"),
    State(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def past_day_ready(ticks, view_id, state):
    """While a past day's frames are being computed: once the view's frame is there, a new state
    nonce redraws the modal (header, filters, body) from it."""
    if not any(ticks or []):
        return no_update
    rt, metric, view = _metric_view(state, view_id)
    if view is None or rt.store.get_meta(view.query) is None:
        return no_update
    return {**state, "nonce": uuid.uuid4().hex}


@callback(
    Output(ids.drill_table(MATCH), "data"),
    Output(ids.drill_table(MATCH), "page_current"),
    Input(ids.drill_table(MATCH), "page_current"),
    Input(ids.drill_table(MATCH), "sort_by"),
    State(ids.drill_table(MATCH), "page_size"),
    *_filter_values(State),
    State(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def page_table(page, sort_by, page_size, reps, segments, start, end, state):
    """Another page or sort order of the open view's table, from the same memoized filtered frame;
    a new sort order starts again at the first page."""
    try:
        _rt, _metric, view, df = _current_frame(state, ctx.triggered_id["view"], reps, segments, start, end)
    except ValueError:
        return no_update, no_update
    if view is None or df is None:
        return no_update, no_update
    page = 0 if any(k.endswith(".sort_by") for k in ctx.triggered_prop_ids) else (page or 0)
    return drilldown.table_page(df, page, sort_by, page_size or drilldown.PAGE_SIZE,
                                linked_deal_ids(get_runtime().store, df)), page


@callback(
    Output(ids.DRILLDOWN_STATE, "data", allow_duplicate=True),
    Input(ids.drill_graph(ALL), "clickData"),
    State(ids.DRILLDOWN_TABS, "active_tab"),
    *_filter_values(State),
    State(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def drill_deeper(clicks, view_id, reps, segments, start, end, state):
    """Clicking a rep's bar opens the view it drills to, narrowed to that rep; the path remembers the step."""
    click = next((c for c in clicks or [] if c), None)
    rt, metric, view = _metric_view(state, view_id)
    if click is None or view is None or view.drill is None:
        return no_update
    label = str(click["points"][0].get("x") if view.chart.kind != "hbar" else click["points"][0].get("y"))
    cached = rt.store.get(view.query)
    match = cached.frame[cached.frame["owner_name"].astype(str) == label] if cached is not None else pd.DataFrame()
    if match.empty:
        return no_update
    owner = match["owner_id"].iloc[0]
    here = {"label": view.title, "view": view.id, **_filters(reps, segments, start, end)}
    return {**state, "view": view.drill.to, "rep": [UNASSIGNED_OWNER if pd.isna(owner) else int(owner)],
            "rep_label": label,
            "segment": list(segments or []), "start": start, "end": end,
            "crumbs": (state.get("crumbs") or []) + [here], "nonce": uuid.uuid4().hex}


@callback(
    Output(ids.DRILLDOWN_STATE, "data", allow_duplicate=True),
    Input(ids.crumb(ALL), "n_clicks"),
    State(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def step_back(clicks, state):
    """A breadcrumb link returns to that step of the drill path, with its filters."""
    if not ctx.triggered_id or not any(clicks or []) or not state:
        return no_update
    i = ctx.triggered_id["index"]
    crumbs = state.get("crumbs") or []
    if i >= len(crumbs):
        return no_update
    step = crumbs[i]
    return {**state, "view": step["view"], "rep": step["rep"], "segment": step["segment"], "start": step["start"],
            "end": step["end"], "crumbs": crumbs[:i], "rep_label": None, "nonce": uuid.uuid4().hex}


@callback(
    Output(ids.EXPORT_DOWNLOAD, "data"),
    Input(ids.EXPORT_CSV, "n_clicks"),
    Input(ids.EXPORT_XLSX, "n_clicks"),
    State(ids.DRILLDOWN_TABS, "active_tab"),
    *_filter_values(State),
    State(ids.DRILLDOWN_STATE, "data"),
    prevent_initial_call=True,
)
def export_view(_csv, _xlsx, view_id, reps, segments, start, end, state):
    """The active view with its filters applied, as CSV (formula-safe) or XLSX; the name says what it is."""
    if ctx.triggered_id not in (ids.EXPORT_CSV, ids.EXPORT_XLSX) or not state:
        return no_update
    rt, metric, view, df = _current_frame(state, view_id, reps, segments, start, end)
    meta = rt.store.get_meta(view.query) if view else None
    if df is None or meta is None:
        return no_update
    ext = "csv" if ctx.triggered_id == ids.EXPORT_CSV else "xlsx"
    name = drilldown.export_name(metric.id, view.id, _filters(reps, segments, start, end), meta.as_of.isoformat(), ext)
    table = display_frame(export_frame(with_renewals(get_runtime().store, df)))  # deal lists: + renewal
    if ext == "csv":
        return dcc.send_string(to_csv(table), name)
    buf = io.BytesIO()
    pd.read_csv(io.StringIO(to_csv(table)), dtype=str, keep_default_na=False).to_excel(buf, index=False)
    return dcc.send_bytes(buf.getvalue(), name)


# The URL mirrors the drill-down without reloading the page: opening or switching view pushes a
# history entry (so Back closes or steps back), filter changes replace it.
clientside_callback(
    ClientsideFunction(namespace="pulse", function_name="syncDrilldownUrl"),
    Output(ids.URL_SYNC, "data"),
    Input(ids.DRILLDOWN_MODAL, "is_open"),
    Input(ids.DRILLDOWN_STATE, "data"),
    Input(ids.DRILLDOWN_TABS, "active_tab"),
    *_filter_values(Input),
)


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
    if not auth.has_role("admin"):  # checked here, whatever the browser shows or sends
        return "Only admins can request a refresh."
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
