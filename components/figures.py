"""Plotly figures for drill-down views, from one shared template (pure builders).

Figures are plain ``{"data", "layout"}`` dicts, the JSON ``dcc.Graph`` takes: building
``go.Figure`` objects validates every property and costs several milliseconds per chart in
the drill-down callback, which runs on every tab and filter change.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from components import formatting
from data_access.catalog import Chart
from data_access.targets import status

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c"]

TEMPLATE = {"layout": {
    "font": {"family": "Inter, system-ui, -apple-system, Segoe UI, sans-serif", "size": 12, "color": "#1f2937"},
    "colorway": PALETTE,
    "plot_bgcolor": "white",
    "paper_bgcolor": "white",
    "margin": {"l": 10, "r": 10, "t": 48, "b": 10},
    "xaxis": {"gridcolor": "#eef2f7", "zerolinecolor": "#cbd5e1", "automargin": True},
    "yaxis": {"gridcolor": "#eef2f7", "zerolinecolor": "#cbd5e1", "automargin": True},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1, "traceorder": "normal"},
    "hoverlabel": {"bgcolor": "white"},
    "title": {"x": 0.01, "y": 0.98, "yanchor": "top", "font": {"size": 15}},
}}


INK_DARK, SURFACE_DARK, GRID_DARK = "#e5e7eb", "#111827", "#273244"
TEMPLATE_DARK = {"layout": {
    **TEMPLATE["layout"],
    "font": {**TEMPLATE["layout"]["font"], "color": INK_DARK},
    "plot_bgcolor": SURFACE_DARK,
    "paper_bgcolor": SURFACE_DARK,
    "xaxis": {**TEMPLATE["layout"]["xaxis"], "gridcolor": GRID_DARK, "zerolinecolor": "#475569"},
    "yaxis": {**TEMPLATE["layout"]["yaxis"], "gridcolor": GRID_DARK, "zerolinecolor": "#475569"},
    "hoverlabel": {"bgcolor": SURFACE_DARK, "font": {"color": INK_DARK}},
}}


def _axis_title(col: str) -> str:
    return formatting.column_title(col)


def _lower_first(text: str) -> str:
    """``Unspent (USD)`` → ``unspent (USD)``: lower-case the word, keep the unit."""
    return text[:1].lower() + text[1:]


def _hover_values(series: pd.Series, col: str) -> list[str]:
    kind = formatting.column_kind(col)
    if kind == "usd":
        return [formatting.usd(v) for v in series]
    if kind == "ratio":
        return [formatting.value(v, "ratio") for v in series]
    if kind in ("days", "multiple", "hours"):
        return [formatting.value(v, kind) for v in series]
    return [f"{v:,.0f}" if isinstance(v, (int, float)) else str(v) for v in series]


def _tickformat(col: str) -> dict:
    kind = formatting.column_kind(col)
    if kind == "usd":
        return dict(tickprefix="$", tickformat="~s")
    if kind == "ratio":
        return dict(tickformat=".0%")
    if kind == "multiple":
        return dict(ticksuffix="×")
    return {}


def _values(series: pd.Series) -> list:
    """JSON-ready values: dates as ISO text, missing as ``None``."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in series]
    return [None if pd.isna(v) else v for v in series.astype(object)]


def _x(df: pd.DataFrame, col: str) -> list:
    return _values(pd.to_datetime(df[col]) if formatting.column_kind(col) == "date" else df[col])


def _target_line(x: list, df: pd.DataFrame, col: str, mode: str) -> dict:
    """The dashed red target series ``df[col]`` over ``x``."""
    return {"type": "scatter", "x": x, "y": _values(df[col]), "name": _axis_title(col), "mode": mode,
            "line": {"color": PALETTE[3], "dash": "dash"}, "customdata": _hover_values(df[col], col),
            "hovertemplate": "Target: %{customdata}<extra></extra>"}


STATUS_FILL = {"green": "#16a34a", "yellow": "#d97706", "red": "#dc2626", "nodata": "#9ca3af"}  # the cards' colours
VS_TARGET_STATUS = {"On target": "green", "Near target": "yellow", "Off target": "red"}


@dataclass(frozen=True)
class Reference:
    """What a view's values are measured against: the metric's target in force (in the value column's
    unit; ``None`` without one), which way is better (``higher`` | ``lower``) and its yellow band (0–1)."""

    target: float | None
    direction: str
    yellow_band: float


def _status_colors(chart: Chart, df: pd.DataFrame, value_col: str, category_col: str,
                   ref: Reference | None) -> str | list[str]:
    """Bar colours: by the chart's ``status_colors`` per category, else by a ``vs_target`` column (each
    rep against their own target), else against the metric's target (``chart.target``) or, in a
    ``bar_line``, each bar against its own line value; one blue when nothing says a status."""
    if chart.status_colors and category_col in df.columns:
        return [STATUS_FILL[chart.status_colors[str(v)]] if str(v) in chart.status_colors else PALETTE[0]
                for v in df[category_col]]
    if "vs_target" in df.columns:
        return [STATUS_FILL[VS_TARGET_STATUS.get(v, "nodata")] for v in df["vs_target"]]
    if ref is None:
        return PALETTE[0]
    if chart.target and ref.target is not None:
        targets = [ref.target] * len(df)
    elif chart.kind == "bar_line" and chart.line and chart.line in df.columns:
        targets = df[chart.line].tolist()
    else:
        return PALETTE[0]
    return [STATUS_FILL[status(None if pd.isna(v) else float(v), t, ref.direction, ref.yellow_band)]
            if t is not None and not pd.isna(t) else PALETTE[0] for v, t in zip(df[value_col], targets)]


def _reference_line(layout: dict, chart: Chart, ref: Reference | None, value_col: str, horizontal: bool) -> None:
    """The metric's target as a dashed line across the plot (``chart.target``), labelled with its value."""
    if not chart.target or ref is None or ref.target is None:
        return
    text = f"Target {_hover_values(pd.Series([ref.target]), value_col)[0]}"
    if horizontal:  # hbar: the value axis is x
        shape = {"type": "line", "xref": "x", "yref": "paper", "x0": ref.target, "x1": ref.target, "y0": 0, "y1": 1}
        note = {"xref": "x", "yref": "paper", "x": ref.target, "y": 1, "yanchor": "bottom", "text": text}
    else:
        shape = {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": ref.target, "y1": ref.target}
        note = {"xref": "paper", "yref": "y", "x": 1, "y": ref.target, "xanchor": "right", "yanchor": "bottom",
                "text": text}
    layout["shapes"] = [{**shape, "line": {"color": PALETTE[3], "dash": "dash", "width": 2}}]
    layout["annotations"] = [{**note, "showarrow": False, "font": {"color": PALETTE[3], "size": 11}}]


GRAPH_CONFIG = {"displaylogo": False, "modeBarButtons": [["toImage"]],  # download as PNG, nothing else
                "toImageButtonOptions": {"format": "png", "scale": 2}}


def _top_rows(df: pd.DataFrame, col: str, n: int) -> pd.DataFrame:
    """``df.dropna(subset=[col]).sort_values(col, ascending=False).head(n)``: the same rows in the same
    order (pandas' descending sort done here on the same values: reversed, quicksort, reversed again),
    ranking the one column and taking ``n`` rows instead of dropping, sorting and cutting every column
    of a view that may hold thousands of rows."""
    column = df[col]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        values = column.to_numpy()
        kept = np.flatnonzero(~np.isnan(values)) if values.dtype.kind == "f" else np.arange(len(values))
        order = kept[::-1][values[kept][::-1].argsort(kind="quicksort")][::-1]
        return df.iloc[order[:n]]
    values = column.reset_index(drop=True)  # labels = positions
    return df.iloc[values[values.notna()].sort_values(ascending=False).head(n).index.to_numpy()]


def _heatmap(layout: dict, data: list[dict], chart: Chart, df: pd.DataFrame, dark: bool) -> None:
    """Heat map(s) of ``chart.z`` over ``chart.x`` (columns) × ``chart.y`` (rows, newest at the
    bottom), one panel per ``chart.facet`` value side by side sharing one colour scale; empty cells
    (a cohort too young for that month) stay blank. Hover: the cell's formatted value."""
    if chart.facet and chart.facet in df.columns:
        by = df.sort_values(chart.order) if chart.order and chart.order in df.columns else df
        facets = by[chart.facet].drop_duplicates().tolist()
    else:
        facets = [None]
    n = max(1, len(facets))
    gap = 0.03
    width = (1 - gap * (n - 1)) / n
    zmax = pd.to_numeric(df[chart.z], errors="coerce").max() if len(df) else None
    zmax = 1.0 if zmax is None or pd.isna(zmax) else max(1.0, float(zmax))
    rows = sorted(df[chart.y].dropna().unique().tolist())
    is_date = formatting.column_kind(chart.y) == "date"
    ylabels = [pd.Timestamp(v).strftime("%b %Y") if is_date else str(v) for v in rows]
    for i, key in enumerate(facets):
        part = df if key is None else df[df[chart.facet] == key]
        grid = part.pivot_table(index=chart.y, columns=chart.x, values=chart.z, aggfunc="first").reindex(rows)
        cols = list(grid.columns)
        z = [[None if pd.isna(v) else float(v) for v in r] for r in grid.to_numpy()]
        text = [[("" if v is None else _hover_values(pd.Series([v]), chart.z)[0]) for v in r] for r in z]
        axis = "" if i == 0 else str(i + 1)
        data.append({"type": "heatmap", "x": [str(c) for c in cols], "y": ylabels, "z": z, "text": text,
                     "xaxis": f"x{axis}", "yaxis": f"y{axis}", "zmin": 0, "zmax": zmax,
                     "colorscale": "Blues", "showscale": i == n - 1, "name": "" if key is None else str(key),
                     "hoverongaps": False,
                     "hovertemplate": ("" if key is None else f"{key} · ") + "%{y}, month %{x}: %{text}<extra></extra>"})
        lo = i * (width + gap)
        layout[f"xaxis{axis}"] = {"domain": [lo, lo + width], "title": {"text": (f"{key}: " if key else "")
                                  + _axis_title(chart.x)}, "type": "category"}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "type": "category", "autorange": "reversed",
                                  **({"showticklabels": False} if i else {"title": {"text": _axis_title(chart.y)}})}
    layout["height"] = max(320, 24 * len(rows) + 140)


def view_figure(chart: Chart, df: pd.DataFrame, title: str, reference: Reference | None = None,
                dark: bool = False) -> dict:
    """The chart of a drill-down view as a figure dict. ``df`` columns are named by ``chart``
    (x, y, z, color, line, order, facet); kinds: hbar (ranked, top N), funnel, line, stacked_bar, bar,
    bar_line, heatmap (cohort triangles, one panel per facet).
    With ``reference`` (the metric's target, direction and band) bars are coloured by status and, for
    ``chart.target``, the target is drawn as a line (``_status_colors``, ``_reference_line``). ``dark``:
    the dark template (the page's dark mode)."""
    if chart.kind == "hbar" and chart.top and len(df) > chart.top:
        title = f"{title}: top {chart.top} of {len(df):,} by {_lower_first(_axis_title(chart.x))}"
    layout = {"template": TEMPLATE_DARK if dark else TEMPLATE, "title": {"text": title}, "height": 320, "margin": {"t": 80},
              "xaxis": {}, "yaxis": {}}
    data: list[dict] = []
    if chart.kind == "hbar":
        top = _top_rows(df, chart.x, chart.top or 20).iloc[::-1]  # largest on top
        data.append({"type": "bar", "orientation": "h", "x": _values(top[chart.x]), "name": _axis_title(chart.x),
                     "y": [str(v) for v in top[chart.y]], "customdata": _hover_values(top[chart.x], chart.x),
                     "hovertemplate": "%{y}: %{customdata}<extra></extra>",
                     "marker": {"color": _status_colors(chart, top, chart.x, chart.y, reference)}})
        if chart.line and chart.line in top.columns:  # each bar's own target, as a marker
            data.append({"type": "scatter", "mode": "markers", "x": _values(top[chart.line]),
                         "y": [str(v) for v in top[chart.y]], "name": "Target",
                         "marker": {"symbol": "line-ns-open", "size": 18, "color": PALETTE[3],
                                    "line": {"width": 3, "color": PALETTE[3]}},
                         "customdata": _hover_values(top[chart.line], chart.line),
                         "hovertemplate": "%{y} target: %{customdata}<extra></extra>"})
        layout["xaxis"] = {"title": {"text": _axis_title(chart.x)}, **_tickformat(chart.x)}
        layout["height"] = max(280, 22 * len(top) + 100)  # 15 bars: 430 px
        _reference_line(layout, chart, reference, chart.x, horizontal=True)
    elif chart.kind == "funnel":
        steps = df.sort_values(chart.order) if chart.order and chart.order in df.columns else df
        data.append({"type": "funnel", "y": [str(v) for v in steps[chart.y]], "x": _values(steps[chart.x]),
                     "marker": {"color": PALETTE[0]}, "textinfo": "value+percent initial",
                     "customdata": _hover_values(steps[chart.x], chart.x),
                     "hovertemplate": "%{y}: %{customdata}<extra></extra>"})
    elif chart.kind == "heatmap":
        _heatmap(layout, data, chart, df, dark)
    elif chart.kind == "line":
        x = _x(df, chart.x)
        data.append({"type": "scatter", "x": x, "y": _values(df[chart.y]), "mode": "lines+markers",
                     "name": _axis_title(chart.y), "line": {"color": PALETTE[0]},
                     "marker": {"color": _status_colors(chart, df, chart.y, chart.x, reference), "size": 8},
                     "customdata": _hover_values(df[chart.y], chart.y),
                     "hovertemplate": "%{x}: %{customdata}<extra></extra>"})
        if chart.line and chart.line in df.columns:
            data.append(_target_line(x, df, chart.line, "lines"))
        layout["yaxis"] = {"title": {"text": _axis_title(chart.y)}, **_tickformat(chart.y)}
        layout["xaxis"] = {"title": {"text": _axis_title(chart.x)}}
        _reference_line(layout, chart, reference, chart.y, horizontal=False)
    elif chart.kind == "stacked_bar":
        order = df.sort_values(chart.order or chart.color)[chart.color].drop_duplicates().tolist()
        grid = df.groupby([chart.x, chart.color])[chart.y].sum().unstack(fill_value=0)
        grid = grid.loc[grid.sum(axis=1).sort_values(ascending=False).index]  # largest bar first
        x = [str(v) for v in grid.index]
        for i, key in enumerate(order):
            part = grid[key]
            data.append({"type": "bar", "x": x, "y": _values(part), "name": str(key),
                         "marker": {"color": chart.series_colors.get(str(key), PALETTE[i % len(PALETTE)])},
                         "customdata": _hover_values(part, chart.y),
                         "hovertemplate": f"%{{x}} · {key}: %{{customdata}}<extra></extra>"})
        layout["barmode"] = "stack"
        layout["yaxis"] = {"title": {"text": _axis_title(chart.y)}, **_tickformat(chart.y)}
    elif chart.kind == "grouped_bar":  # several columns side by side per x (scenarios by rep, by month)
        x = _x(df, chart.x)
        for i, col in enumerate([c for c in (chart.bars or [chart.y]) if c in df.columns]):
            data.append({"type": "bar", "x": x, "y": _values(df[col]), "name": _axis_title(col),
                         "marker": {"color": PALETTE[i % len(PALETTE)]},
                         "customdata": _hover_values(df[col], col),
                         "hovertemplate": (f"%{{x|%b %Y}} · {_axis_title(col)}: %{{customdata}}<extra></extra>"
                                           if chart.x == "month" else
                                           f"%{{x}} · {_axis_title(col)}: %{{customdata}}<extra></extra>")})
        layout["barmode"] = "group"
        layout["yaxis"] = {"title": {"text": "Weighted pipeline (USD)" if chart.bars else _axis_title(chart.y)},
                           **_tickformat(chart.y)}
        layout["xaxis"] = {"title": {"text": _axis_title(chart.x)},
                           **({"type": "category"} if formatting.column_kind(chart.x) in ("text", "id") else {})}
    else:
        x = _x(df, chart.x)
        data.append({"type": "bar", "x": x, "y": _values(df[chart.y]), "name": _axis_title(chart.y),
                     "marker": {"color": _status_colors(chart, df, chart.y, chart.x, reference)},
                     "customdata": _hover_values(df[chart.y], chart.y),
                     "hovertemplate": "%{x|%b %Y}: %{customdata}<extra></extra>" if chart.x == "month"
                     else "%{x}: %{customdata}<extra></extra>"})
        if chart.kind == "bar_line" and chart.line and chart.line in df.columns:
            data.append(_target_line(x, df, chart.line, "lines+markers"))
        layout["yaxis"] = {"title": {"text": _axis_title(chart.y)}, **_tickformat(chart.y)}
        # text x (e.g. close weeks with a "No close date" bar) stays categorical: plotly would read
        # mostly-date labels as a date axis and drop the others
        layout["xaxis"] = {"title": {"text": _axis_title(chart.x)},
                           **({"type": "category"} if formatting.column_kind(chart.x) in ("text", "id") else {})}
        _reference_line(layout, chart, reference, chart.y, horizontal=False)
    for trace in data:  # bars coloured one by one by status: a legend swatch would show only the first colour
        if isinstance(trace.get("marker", {}).get("color"), list):
            trace["showlegend"] = False
    return {"data": data, "layout": layout}
