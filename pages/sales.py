"""Sales: the team's KPI page (cards and drill-downs from the catalog) and the weighted pipeline
scenario toggle (base | commit | best | worst: ``data_access.scenarios`` over the cached per-stage frame)."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, html

from components import formatting, ids
from components.scenario_panel import scenario_figure, scenario_section, scenario_summary
from data_access.runtime import get_runtime
from data_access.scenarios import STAGE_FRAME, parse_scenario, scenario_totals
from pages._kpi import kpi_page

dash.register_page(__name__, path="/sales", name="Sales", title="Pulse · Sales", order=1)


def layout(**query):
    """Cards from the cache; `?metric=…&view=…` opens that drill-down; `?scenario=commit` picks the scenario."""
    return html.Div([kpi_page("sales", query), scenario_section(parse_scenario(query.get("scenario")))])


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
