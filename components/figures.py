"""Plotly figures for drill-down views, from one shared template (pure builders)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components import formatting
from data_access.catalog import Chart

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c"]

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family="Inter, system-ui, -apple-system, Segoe UI, sans-serif", size=12, color="#1f2937"),
        colorway=PALETTE,
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin=dict(l=10, r=10, t=48, b=10),
        xaxis=dict(gridcolor="#eef2f7", zerolinecolor="#cbd5e1", automargin=True),
        yaxis=dict(gridcolor="#eef2f7", zerolinecolor="#cbd5e1", automargin=True),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1, traceorder="normal"),
        hoverlabel=dict(bgcolor="white"),
        title=dict(x=0.01, y=0.98, yanchor="top", font=dict(size=15)),
    )
)


def empty_figure(message: str = "") -> go.Figure:
    """A blank figure in the shared template (optionally with a centred message)."""
    fig = go.Figure(layout=dict(template=TEMPLATE, height=320))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    if message:
        fig.add_annotation(text=message, showarrow=False, font=dict(size=14, color="#6b7280"))
    return fig


def _axis_title(col: str) -> str:
    return formatting.column_title(col)


def _hover_values(series: pd.Series, col: str) -> list[str]:
    kind = formatting.column_kind(col)
    if kind == "usd":
        return [formatting.usd(v) for v in series]
    if kind == "ratio":
        return [formatting.value(v, "ratio") for v in series]
    if kind == "days":
        return [formatting.value(v, "days") for v in series]
    return [f"{v:,.0f}" if isinstance(v, (int, float)) else str(v) for v in series]


def _tickformat(col: str) -> dict:
    kind = formatting.column_kind(col)
    if kind == "usd":
        return dict(tickprefix="$", tickformat="~s")
    if kind == "ratio":
        return dict(tickformat=".0%")
    return {}


def _target_line(fig: go.Figure, x, df: pd.DataFrame, col: str, mode: str) -> None:
    """The dashed red target series ``df[col]`` over ``x``."""
    fig.add_scatter(x=x, y=df[col], name=_axis_title(col), mode=mode, line=dict(color=PALETTE[3], dash="dash"),
                    customdata=_hover_values(df[col], col), hovertemplate="Target: %{customdata}<extra></extra>")


def view_figure(chart: Chart, df: pd.DataFrame, title: str) -> go.Figure:
    """The chart of a drill-down view. ``df`` columns are named by ``chart`` (x, y, color, line)."""
    if chart.kind == "hbar" and chart.top and len(df) > chart.top:
        title = f"{title}: top {chart.top} of {len(df):,} by {_axis_title(chart.x).lower()}"
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title, height=380, margin=dict(t=80)))
    if chart.kind == "hbar":
        data = df.dropna(subset=[chart.x]).sort_values(chart.x, ascending=False).head(chart.top or 20)
        data = data.iloc[::-1]  # largest on top
        fig.add_bar(x=data[chart.x], y=data[chart.y].astype(str), orientation="h",
                    customdata=_hover_values(data[chart.x], chart.x),
                    hovertemplate="%{y}: %{customdata}<extra></extra>", marker_color=PALETTE[0])
        fig.update_xaxes(title=_axis_title(chart.x), **_tickformat(chart.x))
        fig.update_layout(height=max(300, 28 * len(data) + 110))
    elif chart.kind == "funnel":
        data = df.sort_values(chart.order) if chart.order and chart.order in df.columns else df
        fig.add_funnel(y=data[chart.y].astype(str), x=data[chart.x], marker_color=PALETTE[0],
                       textinfo="value+percent initial",
                       customdata=_hover_values(data[chart.x], chart.x),
                       hovertemplate="%{y}: %{customdata}<extra></extra>")
    elif chart.kind == "line":
        x = pd.to_datetime(df[chart.x]) if formatting.column_kind(chart.x) == "date" else df[chart.x]
        fig.add_scatter(x=x, y=df[chart.y], mode="lines+markers", name=_axis_title(chart.y),
                        line=dict(color=PALETTE[0]), customdata=_hover_values(df[chart.y], chart.y),
                        hovertemplate="%{x}: %{customdata}<extra></extra>")
        if chart.line and chart.line in df.columns:
            _target_line(fig, x, df, chart.line, "lines")
        fig.update_yaxes(title=_axis_title(chart.y), **_tickformat(chart.y))
        fig.update_xaxes(title=_axis_title(chart.x))
    elif chart.kind == "stacked_bar":
        order = df.sort_values(chart.order or chart.color)[chart.color].drop_duplicates().tolist()
        totals = df.groupby(chart.x)[chart.y].sum().sort_values(ascending=False)
        for i, key in enumerate(order):
            part = df[df[chart.color] == key].set_index(chart.x)[chart.y].groupby(level=0).sum()
            part = part.reindex(totals.index).fillna(0)
            fig.add_bar(x=part.index.astype(str), y=part.values, name=str(key),
                        marker_color=PALETTE[i % len(PALETTE)],
                        customdata=_hover_values(part, chart.y),
                        hovertemplate=f"%{{x}} · {key}: %{{customdata}}<extra></extra>")
        fig.update_layout(barmode="stack")
        fig.update_yaxes(title=_axis_title(chart.y), **_tickformat(chart.y))
    else:
        x = pd.to_datetime(df[chart.x]) if formatting.column_kind(chart.x) == "date" else df[chart.x]
        fig.add_bar(x=x, y=df[chart.y], name=_axis_title(chart.y), marker_color=PALETTE[0],
                    customdata=_hover_values(df[chart.y], chart.y),
                    hovertemplate="%{x|%b %Y}: %{customdata}<extra></extra>" if chart.x == "month"
                    else "%{x}: %{customdata}<extra></extra>")
        if chart.kind == "bar_line" and chart.line and chart.line in df.columns:
            _target_line(fig, x, df, chart.line, "lines+markers")
        fig.update_yaxes(title=_axis_title(chart.y), **_tickformat(chart.y))
        fig.update_xaxes(title=_axis_title(chart.x))
    return fig
