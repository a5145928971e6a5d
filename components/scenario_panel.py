"""The Sales page's weighted pipeline scenario panel (pure builders: data in, Dash tree / figure out)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import formatting, ids
from components.figures import PALETTE, TEMPLATE, TEMPLATE_DARK
from components.kpi_card import kpi_card
from data_access.catalog import Metric
from data_access.scenarios import SCENARIO_TITLES, SCENARIOS, ScenarioCardValue, by_stage, formula, scenario_totals
from data_access.targets import PipelineScenarios


def scenario_toggle(value: str, remember: bool = True) -> dbc.RadioItems:
    """The base | commit | best | worst buttons at ``value``. With ``remember`` the pick is kept for the
    browser tab (session storage) across reloads of the page; without it (the URL names the scenario,
    which wins) this load neither restores nor records a pick."""
    return dbc.RadioItems(id=ids.SALES_SCENARIO, value=value, inline=True, className="btn-group scenario-toggle",
                          persistence=remember, persistence_type="session",
                          inputClassName="btn-check", labelClassName="btn btn-outline-primary btn-sm",
                          labelCheckedClassName="active",
                          options=[{"label": SCENARIO_TITLES[s], "value": s} for s in SCENARIOS])


def scenario_section(value: str, remember: bool = True) -> dbc.Card:
    """The panel's skeleton (no data: the callback fills it on load and on each toggle); ``value`` and
    ``remember`` as ``scenario_toggle``."""
    return dbc.Card([
        dbc.CardHeader(html.Div([html.H4("Weighted pipeline scenarios", className="mb-0 h6"),
                                 scenario_toggle(value, remember)],
                                className="d-flex justify-content-between align-items-center gap-2 flex-wrap")),
        dbc.CardBody(dbc.Row([
            dbc.Col(html.Div(id=ids.SALES_SCENARIO_SUMMARY), md=4),
            dbc.Col(dcc.Graph(id=ids.SALES_SCENARIO_FIGURE, figure=empty_figure(), config={"displayModeBar": False}),
                    md=8),
        ], className="g-3")),
    ], className="mt-4 scenario-panel")


def empty_figure(title: str = "Weighted pipeline by stage", dark: bool = False) -> dict:
    return {"data": [], "layout": {"template": TEMPLATE_DARK if dark else TEMPLATE, "title": {"text": title},
                                   "height": 320, "xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def scenario_summary(totals: dict[str, float | None], settings: PipelineScenarios, scenario: str,
                     as_of_text: str) -> html.Div:
    """The scenario's total (large), the other scenarios beside it, and an "i" whose tooltip is the formula."""
    value = totals.get(scenario)
    others = [html.Li([html.Span(SCENARIO_TITLES[s], className="text-muted me-2"),
                       html.Span(formatting.usd(totals[s]), className="scenario-other-value")],
                      className="fw-bold" if s == scenario else None) for s in SCENARIOS]
    return html.Div([
        html.Div([html.Span(f"Weighted Pipeline (Quarter) · {SCENARIO_TITLES[scenario]}", className="small text-muted"),
                  html.Span("i", id=ids.SALES_SCENARIO_INFO, tabIndex=0, className="kpi-info scenario-info",
                            role="button", **{"aria-label": "How the scenario is calculated"})]),
        html.Div(formatting.usd(value) if value is not None else "No data", className="display-6 scenario-value"),
        html.Ul(others, className="list-unstyled small mb-1 scenario-totals"),
        html.Div(as_of_text, className="small text-muted"),
        dbc.Tooltip(html.Pre(formula(settings, scenario), className="mb-0 text-start small scenario-formula"),
                    target=ids.SALES_SCENARIO_INFO, placement="bottom"),
    ])


def scenario_figure(frame: pd.DataFrame | None, settings: PipelineScenarios, scenario: str,
                    dark: bool = False) -> dict:
    """Per stage: the open amount and what the scenario counts of it (USD), in pipeline order."""
    title = f"Weighted pipeline by stage · {SCENARIO_TITLES[scenario]}"
    if frame is None or frame.empty:
        return empty_figure(title, dark)
    table = by_stage(frame, settings, scenario)
    x = [str(v) for v in table["stage_label"]]
    hover = [f"{formatting.usd(a)} × min(1, {p:.0%} × {w:g}) = {formatting.usd(v)}"
             for a, p, w, v in zip(table["amount_usd"], table["probability"], table["weight"], table["scenario_usd"])]
    return {"data": [
        {"type": "bar", "x": x, "y": table["amount_usd"].tolist(), "name": "Open amount (USD)",
         "marker": {"color": PALETTE[5]}, "opacity": 0.35,
         "customdata": [formatting.usd(v) for v in table["amount_usd"]],
         "hovertemplate": "%{x} open: %{customdata}<extra></extra>"},
        {"type": "bar", "x": x, "y": table["scenario_usd"].tolist(), "name": f"{SCENARIO_TITLES[scenario]} (USD)",
         "marker": {"color": PALETTE[0]}, "customdata": hover, "hovertemplate": "%{x}: %{customdata}<extra></extra>"},
    ], "layout": {"template": TEMPLATE_DARK if dark else TEMPLATE, "title": {"text": title}, "height": 320,
                  "barmode": "overlay", "xaxis": {"title": {"text": "Stage"}, "type": "category"},
                  "yaxis": {"title": {"text": "Pipeline (USD)"}, "tickprefix": "$", "tickformat": "~s"}}}


def scenario_badge(scenario: str) -> str:
    """``Scenario: Commit``: the badge on the grid's Weighted Pipeline card under a scenario."""
    return f"Scenario: {SCENARIO_TITLES[scenario]}"


def scenario_kpi_card(metric: Metric, card: ScenarioCardValue, as_of_text: str, stale_sla: str | None = None,
                      problem: str | None = None) -> list:
    """The children of the grid's Weighted Pipeline card box (``ids.kpi_tip(metric.id)``) under a
    scenario: ``card.value_usd`` against ``card.target_usd``, coloured by ``card.status``, badged
    ``Scenario: …``; no sparkline or delta (the KPI history records the base figure only). ``stale_sla``
    and ``problem`` as ``kpi_card``."""
    return kpi_card(metric, card.value_usd, card.target_usd, card.status, as_of_text, stale_sla=stale_sla,
                    problem=problem, badge=scenario_badge(card.scenario)).children
