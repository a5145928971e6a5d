"""KPI card and its five-part tooltip (pure builders: data in, Dash tree out)."""
from __future__ import annotations

from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import html

from components import formatting, ids
from data_access.catalog import Metric

STATUS_LABEL = {"green": "On target", "yellow": "Near target", "red": "Off target", "nodata": "No data"}
STATUS_COLOR = {"green": "success", "yellow": "warning", "red": "danger", "nodata": "secondary"}


def metric_tooltip(metric: Metric, target_text: str) -> list:
    """The tooltip body: Definition, Why it matters, Calculation, Target/Benchmark pills, Edge cases."""
    t = metric.tooltip
    body = [
        html.Div("Definition", className="tt-label"),
        html.Div(t.definition, className="tt-text"),
        html.Div("Why it matters", className="tt-label"),
        html.Div(t.why, className="tt-text"),
        html.Div("Calculation", className="tt-label"),
        html.Pre(t.calculation, className="tt-formula"),
        html.Div(
            [
                dbc.Badge(["Target: ", t.target or target_text], color="primary", pill=True, className="tt-pill"),
                dbc.Badge(["Benchmark: ", t.benchmark], color="info", pill=True, className="tt-pill"),
            ],
            className="tt-pills",
        ),
    ]
    body.append(html.Div(f"Owner: {metric.owner} · {metric.criticality} criticality", className="tt-owner"))
    if t.edge_cases:
        body.append(
            html.Div(
                [html.Div("Edge cases", className="tt-label")] + [html.Div(f"• {e}") for e in t.edge_cases],
                className="tt-edge",
            )
        )
    return body


SPARK_W, SPARK_H, SPARK_PAD = 120, 30, 3
SPARK_COLOR = "#2563eb"


def sparkline(values: list[float]) -> html.Img | None:
    """A 90-day trend as a small SVG image (a line, its last point marked), scaled to its own
    min–max; ``None`` with fewer than two points. Values oldest first, in any unit."""
    if len(values) < 2:
        return None
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = (SPARK_W - 2 * SPARK_PAD) / (len(values) - 1)
    pts = [(SPARK_PAD + i * step, SPARK_H - SPARK_PAD - (v - lo) / span * (SPARK_H - 2 * SPARK_PAD))
           for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    x, y = pts[-1]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_W}" height="{SPARK_H}" '
           f'viewBox="0 0 {SPARK_W} {SPARK_H}"><polyline points="{path}" fill="none" stroke="{SPARK_COLOR}" '
           f'stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round"/>'
           f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.4" fill="{SPARK_COLOR}"/></svg>')
    return html.Img(src="data:image/svg+xml;utf8," + quote(svg), className="kpi-spark", alt="",
                    width=SPARK_W, height=SPARK_H)


def kpi_card(
    metric: Metric,
    value: float | None,
    target: float,
    status: str,
    as_of_text: str,
    stale_sla: str | None = None,
    failure: str | None = None,
    not_connected: str | None = None,
    problem: str | None = None,
    refreshing: str | None = None,
    trend: list[float] | None = None,
    delta: str | None = None,
    delta_tone: str = "flat",
    breakdown: list[tuple[str, str]] | None = None,
    band: str | None = None,
    badge: str | None = None,
) -> html.Div:
    """A clickable KPI card: title, value in its unit, target, status badge, freshness line.

    ``status`` is green | yellow | red | nodata. ``stale_sla`` (e.g. ``"2 h"``) marks data older
    than its freshness SLA with a badge; ``failure`` (a sentence) marks a failed last refresh
    with a warning icon — the last good value stays on the card. ``not_connected`` (a hint)
    replaces the value for an API source that is not configured; ``problem`` (a sentence: the
    configured pipeline holds no deal, ``data_access.pipelines``) replaces it with "No deals" and
    says why and what to set; ``refreshing`` (progress, e.g. ``"12 of 26 metrics done"``) says a
    refresh round is filling a card that has no value yet. ``trend``: the last 90 days' values
    (oldest first) drawn as a sparkline; ``delta`` (``formatting.delta_text``) the change vs the
    previous period, coloured by ``delta_tone`` (good | bad | flat); neither shows without history.
    ``breakdown`` (label, text) pairs list a composite metric's components under the value (the health
    score's component scores), ``band`` names its band (``Good``) beside the value. ``badge`` (e.g.
    ``"Scenario: Commit"``) is a badge beside the title saying the value is not the metric's own figure.
    Clicking the card (id ``ids.kpi_card(metric.id)``) opens the metric's drill-down; hovering it,
    or tapping (focusing) its "i" button, shows the tooltip.
    """
    target_line = formatting.target_text(target, metric.unit, metric.direction)
    value_text = formatting.value(value, metric.unit) if status != "nodata" else "No data"
    # one message: a failure before any value replaces "Waiting for the first refresh", not beside it
    footer: list = [] if failure and status == "nodata" else [html.Span(as_of_text)]
    show_trend = status != "nodata" and not not_connected and not problem
    spark = sparkline(trend) if trend and show_trend else None
    trend_row = ([html.Span(delta, className=f"kpi-delta kpi-delta-{delta_tone}")] if delta and show_trend else []) \
        + ([spark] if spark is not None else [])
    if not_connected:
        value_text, footer = "Not connected", [html.Span(not_connected, className="kpi-hint")]
    elif problem:
        value_text, status = "No deals", "nodata"
        footer = [html.Span(problem, className="kpi-hint kpi-problem")]
    elif refreshing and status == "nodata":
        value_text = "Refreshing…"
        footer = [html.Span(f"First values on their way: {refreshing}", className="kpi-hint kpi-refreshing")]
    if stale_sla:
        footer.append(dbc.Badge(f"Stale · older than {stale_sla}", color="warning", text_color="dark",
                                className="ms-1 kpi-stale"))
    if failure:
        footer.append(html.Div(["⚠ ", failure], className="kpi-failure"))
    title = html.Span(metric.title, className="kpi-title")
    card = dbc.Card(
        dbc.CardBody(
            [
                html.Div([title, dbc.Badge(badge, color="info", className="kpi-badge")] if badge else title,
                         className="kpi-head"),
                html.Div([value_text, *([html.Span(band, className="kpi-band ms-2")] if band and status != "nodata" else [])],
                         className=f"kpi-value kpi-value-{status}"),
                *([html.Ul([html.Li([html.Span(label), html.Span(text, className="kpi-breakdown-value")])
                            for label, text in breakdown], className="kpi-breakdown")]
                  if breakdown and status != "nodata" else []),
                *([html.Div(trend_row, className="kpi-trend")] if trend_row else []),
                html.Div(
                    [
                        html.Span(target_line, className="kpi-target"),
                        dbc.Badge(STATUS_LABEL[status], color=STATUS_COLOR[status], className="kpi-status",
                                  pill=True),
                    ],
                    className="kpi-row",
                ),
                html.Div(footer, className="kpi-asof"),
            ]
        ),
        className=f"kpi-card kpi-{status} h-100",
    )
    clickable = html.Div(
        card,
        id=ids.kpi_card(metric.id),
        n_clicks=0,
        role="button",
        className="kpi-card-wrap h-100",
        **{"aria-label": f"{metric.title}{f' ({badge})' if badge else ''}: {value_text}"
                         f"{'. ' + delta if delta and show_trend else ''}. Open details."},
    )
    # the "i" sits beside the clickable card, not in it: tapping it focuses it (the tooltip opens)
    # without opening the drill-down
    info = html.Button("i", className="kpi-info", type="button", **{"aria-label": f"What {metric.title} means"})
    return html.Div(
        [
            clickable,
            info,
            dbc.Tooltip(metric_tooltip(metric, target_line), target=ids.kpi_tip(metric.id),
                        placement="bottom", trigger="hover focus", className="kpi-tooltip"),
        ],
        id=ids.kpi_tip(metric.id),
        className="kpi-card-box h-100",
    )
