"""What every KPI page shares: the card grid (re-read every minute) and the drill-down modal.

Page modules are two lines: ``register_page`` and ``layout(**query) -> kpi_page(page_id, query)``.
"""
from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

import auth
from components import drilldown, formatting, ids, shell
from components.kpi_card import kpi_card
from data_access.metrics import month_start, snapshot
from data_access.pipelines import current_problems, metric_problem
from data_access.refresh import connect_hint
from data_access.targets import target_for
from data_access.runtime import get_runtime
from data_access.trends import DEFAULT_PERIOD, PERIODS, change, recorded, trend


def failure_text(snap, tz: str) -> str | None:
    """``Last refresh failed Nov 21 14:05 EST (BadRequest); last success Nov 21 09:00 EST``, or, before
    any success, ``Refresh failed Nov 21 14:05 EST (BadRequest); no value yet`` (the card's one message)."""
    if not snap.last_error:
        return None
    when = formatting.local_time(snap.last_attempt_at, tz) if snap.last_attempt_at else "recently"
    if not snap.refreshed_at:
        return f"Refresh failed {when} ({snap.last_error}); no value yet"
    return f"Last refresh failed {when} ({snap.last_error}); last success {formatting.local_time(snap.refreshed_at, tz)}"


NOT_CONNECTED_FOR_VIEWERS = "An admin can connect this source; its values appear here once connected."
GRID_POLL_MS = 60_000  # cards re-read the cache every minute…
GRID_POLL_REFRESHING_MS = 3_000  # …and every 3 s while a refresh round fills cards that have no value


def components_breakdown(rt, metric) -> tuple[list[tuple[str, str]] | None, str | None]:
    """For a derived metric (``data_access.health_score``): its components' scores as card lines
    (``("Win Rate (90 days)", "83")``, ``"No data"`` for a component left out) and its band, read from
    the cached components frame; ``(None, None)`` for other metrics or before the first refresh."""
    if not metric.components or not metric.views:
        return None, None
    comps, value = rt.store.get(metric.views[0].query), rt.store.get(metric.query)
    if comps is None or value is None:
        return None, None
    lines = [(r.component, "No data" if r.score != r.score else f"{r.score:.0f}") for r in comps.frame.itertuples()]
    band = value.frame["band"].iloc[0] if "band" in value.frame.columns and len(value.frame) else None
    return lines, band


def round_progress(rt) -> str | None:
    """``"12 of 26 metrics done"`` while a refresh round runs (``Runtime.refresh_round``), else None."""
    rnd = rt.refresh_round()
    return f"{rnd.done} of {rnd.total} metrics done" if rnd is not None and rnd.running else None


def _past_card(rt, metric, day, period: str):
    """A card as the KPI history recorded it on ``day`` (no refresh state: the past does not change)."""
    rec = recorded(rt.store, metric.id, day)
    tr = trend(rt.store, metric.id, day, period)
    if rec is None:
        target, _ = target_for(metric, rt.targets().targets, day)
        return kpi_card(metric, None, target, "nodata", f"No value recorded for {formatting.day_text(day)}")
    moved = change(rec.value, tr.previous, metric.unit)
    delta = formatting.delta_text(moved, metric.unit, PERIODS[period][0])
    return kpi_card(metric, rec.value, rec.target if rec.target is not None else 0.0, rec.status,
                    f"Recorded for {formatting.day_text(day)}", trend=[v for _, v in tr.points], delta=delta,
                    delta_tone="flat" if delta is None or delta.startswith("No change")
                    else formatting.delta_tone(moved, metric.direction))


def live_card(rt, metric, period: str, targets, problems: dict, progress: str | None) -> tuple:
    """Today's card of ``metric`` from the cache (``kpi_card``; its sparkline and delta vs ``period``
    from the cached history), and whether it waits for the running refresh round (``progress``:
    ``round_progress``). ``problems``: ``current_problems`` of the store."""
    snap = snapshot(metric, rt.store, targets, rt.today())
    as_of = formatting.as_of_text(snap.as_of, snap.refreshed_at)
    if snap.as_of is None and not rt.cache_available:
        as_of = "Cache unavailable: the value returns with it"
    hint = connect_hint(metric, rt.settings)
    refreshing = progress if snap.as_of is None and hint is None else None
    tr = trend(rt.store, metric.id, snap.as_of, period) if snap.as_of else None
    moved = change(snap.value, tr.previous, metric.unit) if tr else None
    delta = formatting.delta_text(moved, metric.unit, PERIODS[period][0])
    breakdown, band = components_breakdown(rt, metric)
    card = kpi_card(metric, snap.value, snap.target, snap.status, as_of, breakdown=breakdown, band=band,
                    stale_sla=formatting.sla_text(metric.freshness_sla_minutes) if snap.stale else None,
                    failure=failure_text(snap, rt.settings.timezone),
                    not_connected=(hint if auth.has_role("admin") else NOT_CONNECTED_FOR_VIEWERS) if hint else None,
                    problem=metric_problem(metric, problems), refreshing=refreshing,
                    trend=[v for _, v in tr.points] if tr else None, delta=delta,
                    delta_tone="flat" if delta is None or delta.startswith("No change")
                    else formatting.delta_tone(moved, metric.direction))
    return card, refreshing is not None


def _grid(page: str, period: str = DEFAULT_PERIOD, as_of: dt.date | None = None) -> tuple[list, bool]:
    """The cards of ``page`` and whether one of them waits for a running refresh round. Each card's
    sparkline and delta (vs ``period``, one of ``trends.PERIODS``) come from the cached history;
    with ``as_of`` (a past day) the cards are those the history recorded for that day."""
    rt = get_runtime()
    period = period if period in PERIODS else DEFAULT_PERIOD
    if as_of is not None:
        return [dbc.Col(_past_card(rt, m, as_of, period), xs=12, sm=6, lg=4, xxl=3)
                for m in rt.catalog.metrics_on(page)], False
    loaded = rt.targets()
    problems = current_problems(rt.store)  # configured pipelines holding no deal, said on their cards
    progress = round_progress(rt)
    cols, waiting = [], False
    for metric in rt.catalog.metrics_on(page):
        card, refreshing = live_card(rt, metric, period, loaded.targets, problems, progress)
        waiting |= refreshing
        cols.append(dbc.Col(card, xs=12, sm=6, lg=4, xxl=3))
    alerts = []
    if loaded.error:
        alerts.append(dbc.Col(dbc.Alert(loaded.error, color="warning", className="mb-3"), xs=12))
    if not cols:
        alerts.append(dbc.Col(dbc.Alert("No metrics on this page yet.", color="light"), xs=12))
    return alerts + cols, waiting


def kpi_grid(page: str, period: str = DEFAULT_PERIOD, as_of: dt.date | None = None) -> list:
    """Cards of every metric shown on ``page``, from cached frames only."""
    return _grid(page, period, as_of)[0]


def as_of_from_query(query: dict, today: dt.date) -> tuple[dt.date | None, str | None]:
    """``?as_of=YYYY-MM-DD`` → (the past day, None); today or none → (None, None); a malformed or
    future day → (None, a message for the page)."""
    raw = str(query.get("as_of") or "")
    if not raw:
        return None, None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None, f"“{raw[:20]}” is not a day (YYYY-MM-DD): showing today."
    if day > today:
        return None, f"{formatting.day_text(day)} has not happened yet: showing today."
    return (None, None) if day == today else (day, None)


def period_picker(page: str) -> dbc.Select:
    """The previous period the page's deltas compare with (remembered per browser)."""
    return dbc.Select(id=ids.delta_period(page), options=[{"label": f"vs {label}" if key != "year" else "vs last year", "value": key}
                                                          for key, (label, _, _) in PERIODS.items()],
                      value=DEFAULT_PERIOD, size="sm", persistence=True, persistence_type="local",
                      className="delta-period")


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def drilldown_from_query(query: dict) -> dict | None:
    """The drill-down state a URL asks for (``?metric=…&view=…&rep=…&start=YYYY-MM…``).

    Unknown metrics or views and malformed values are dropped, never an error.
    """
    catalog = get_runtime().catalog
    metric = catalog.metrics.get(str(query.get("metric") or ""))
    if metric is None:
        return None
    view = metric.view(str(query.get("view") or "")) or (metric.views[0] if metric.views else None)
    state = {"metric": metric.id, "view": view.id if view else None, "crumbs": [], "nonce": "url"}
    try:
        day = dt.date.fromisoformat(str(query.get("as_of") or ""))
        state["as_of"] = day.isoformat() if day < get_runtime().today() else None
    except ValueError:
        state["as_of"] = None
    reps = []
    for r in _as_list(query.get("rep")):
        try:
            reps.append(int(r))
        except (TypeError, ValueError):
            pass
    state["rep"] = reps
    state["segment"] = [str(s) for s in _as_list(query.get("segment"))]
    for key in ("start", "end"):
        try:
            state[key] = f"{month_start(query.get(key)):%Y-%m}" if query.get(key) else None
        except ValueError:
            state[key] = None
    return state


def kpi_page(page: str, query: dict) -> html.Div:
    """A KPI page: title, card grid, the drill-down modal (opened when the URL names a metric)."""
    rt = get_runtime()
    meta = rt.catalog.pages[page]
    as_of, problem = as_of_from_query(query, rt.today())
    cards, waiting = _grid(page, as_of=as_of)
    notices = [shell.as_of_banner(formatting.day_text(as_of), meta.path)] if as_of else []
    if problem:
        notices.append(dbc.Alert(problem, color="warning", className="py-2 mb-3"))
    return html.Div(
        [
            *notices,
            html.Div(
                [html.Div([html.H2(meta.title, className="page-title"),
                           html.Div([period_picker(page), shell.export_button(page)],
                                    className="d-flex align-items-center gap-2")],
                          className="d-flex justify-content-between align-items-start gap-2 flex-wrap"),
                 html.P(meta.description + " Click a card for details; hover it, or tap its “i”, for the definition.",
                        className="text-muted")],
                className="page-head",
            ),
            dbc.Row(cards, id=ids.kpi_grid(page), className="g-3"),
            dcc.Interval(id=ids.grid_interval(page), interval=GRID_POLL_REFRESHING_MS if waiting else GRID_POLL_MS,
                         disabled=as_of is not None),  # a past day does not change
            dcc.Store(id=ids.page_as_of(page), data=as_of.isoformat() if as_of else None),
            auth.without_admin_actions(drilldown.modal(drilldown_from_query(query))),
        ]
    )


@callback(Output(ids.kpi_grid(MATCH), "children"), Output(ids.grid_interval(MATCH), "interval"),
          Input(ids.grid_interval(MATCH), "n_intervals"), Input(ids.delta_period(MATCH), "value"),
          State(ids.page_as_of(MATCH), "data"))
def refresh_grid(_n, period, as_of):
    """Re-read a page's cards from the cache every minute (every 3 s while a refresh round fills
    empty cards), so a refresh shows without a reload; and when the compared period changes."""
    if ctx.triggered_id is None and (period or DEFAULT_PERIOD) == DEFAULT_PERIOD:
        raise PreventUpdate  # page load with the default period: the layout already drew these cards
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except (TypeError, ValueError):
        day = None
    cards, waiting = _grid(ctx.outputs_list[0]["id"]["page"], period or DEFAULT_PERIOD, day)
    return cards, GRID_POLL_REFRESHING_MS if waiting else GRID_POLL_MS
