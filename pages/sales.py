"""Sales: the team's KPI page (cards and drill-downs from the catalog) and the weighted pipeline
scenario toggle (base | commit | best | worst: ``data_access.scenarios`` over the cached per-stage frame)."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate

from components import formatting, ids
from components.scenario_panel import scenario_figure, scenario_kpi_card, scenario_section, scenario_summary
from data_access.metrics import is_stale
from data_access.pipelines import current_problems, metric_problem
from data_access.runtime import get_runtime
from data_access.scenarios import (SCENARIO_METRIC, SCENARIOS, STAGE_FRAME, parse_scenario, scenario_card_value,
                                   scenario_totals)
from data_access.trends import DEFAULT_PERIOD, PERIODS
from pages._kpi import kpi_page, live_card, round_progress

dash.register_page(__name__, path="/sales", name="Sales", title="Pulse · Sales", order=1)


def layout(**query):
    """Cards from the cache; `?metric=…&view=…` opens that drill-down; `?scenario=commit` picks the scenario
    (it wins over the pick the toggle remembers for the tab, which applies when the URL names none)."""
    from_url = query.get("scenario") in SCENARIOS
    return html.Div([kpi_page("sales", query),
                     scenario_section(parse_scenario(query.get("scenario")), remember=not from_url)])


def scenario_outputs(cached, settings, scenario: str, tz: str) -> tuple:
    """What the toggle shows for ``scenario``: the summary card and the by-stage figure (pure)."""
    frame = cached.frame if cached is not None else None
    as_of = formatting.as_of_text(cached.meta.as_of, cached.meta.refreshed_at) if cached is not None else \
        "Refreshing…"
    return (scenario_summary(scenario_totals(frame, settings), settings, scenario, as_of),
            scenario_figure(frame, settings, scenario))


@callback(Output(ids.SALES_SCENARIO_SUMMARY, "children"), Output(ids.SALES_SCENARIO_FIGURE, "figure"),
          Input(ids.SALES_SCENARIO, "value"), Input(ids.grid_interval("sales"), "n_intervals"))
def show_scenario(scenario, _n):
    """Switch the weighted pipeline card and chart to a scenario (cached frame and governed weights only)."""
    rt = get_runtime()
    return scenario_outputs(rt.store.get(STAGE_FRAME), rt.targets().targets.pipeline_scenarios,
                            parse_scenario(scenario), rt.settings.timezone)


def grid_card(rt, metric_id: str, period: str | None) -> list:
    """The children of ``metric_id``'s card box exactly as the page's grid draws it today
    (``_kpi.live_card``, the grid's own builder: nothing re-made here)."""
    card, _ = live_card(rt, rt.catalog.metrics[metric_id], period if period in PERIODS else DEFAULT_PERIOD,
                        rt.targets().targets, current_problems(rt.store), round_progress(rt))
    return card.children


def scenario_card(rt, scenario: str) -> list:
    """The grid's Weighted Pipeline card under ``scenario`` (not base): the scenario total of the
    cached per-stage frame, judged against the metric's target, badged ``Scenario: …`` (and, like the
    grid's card, "No deals" when the configured pipelines hold none)."""
    metric = rt.catalog.metrics[SCENARIO_METRIC]
    cached = rt.store.get(STAGE_FRAME)
    loaded = rt.targets()
    if cached is None:
        frame, as_of, refreshed_at, stale = None, rt.today(), None, False
    else:
        frame, as_of, refreshed_at = cached.frame, cached.meta.as_of, cached.meta.refreshed_at
        stale = is_stale(refreshed_at, metric.freshness_sla_minutes)
    card = scenario_card_value(frame, loaded.targets.pipeline_scenarios, scenario, metric, loaded.targets, as_of)
    return scenario_kpi_card(metric, card, formatting.as_of_text(as_of if cached else None, refreshed_at),
                             formatting.sla_text(metric.freshness_sla_minutes) if stale else None,
                             problem=metric_problem(metric, current_problems(rt.store)))


@callback(Output(ids.kpi_tip(SCENARIO_METRIC), "children"),
          Input(ids.SALES_SCENARIO, "value"), Input(ids.grid_interval("sales"), "n_intervals"),
          State(ids.delta_period("sales"), "value"), State(ids.page_as_of("sales"), "data"))
def show_scenario_card(scenario, _n, period, as_of):
    """Switch the grid's Weighted Pipeline card to the toggle's scenario (back to the grid's own card
    on base). Also runs each time the grid redraws (the card is new in its layout), so the grid's
    minute re-read never leaves the base figure under a scenario toggle. A past day (``?as_of=``)
    keeps the card the history recorded: scenarios are today's pipeline."""
    scenario = parse_scenario(scenario)
    if as_of or (scenario == "base" and ctx.triggered_id != ids.SALES_SCENARIO):
        raise PreventUpdate  # the grid's own card is the one to show, and it is showing
    rt = get_runtime()
    if scenario == "base":
        return grid_card(rt, SCENARIO_METRIC, period)
    return scenario_card(rt, scenario)
