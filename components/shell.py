"""App-shell pieces shared by every page (pure builders)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids


def cache_banner() -> html.Div:
    """The "cache unavailable" banner (filled by a callback) and its poll interval."""
    return html.Div([html.Div(id=ids.CACHE_BANNER), dcc.Interval(id=ids.BANNER_INTERVAL, interval=10_000)])


def cache_unavailable(since_text: str) -> dbc.Alert:
    """Shown while Redis is unreachable: the page keeps the values it last read."""
    return dbc.Alert(
        [html.Strong("Cache unavailable. "),
         f"Showing the values this server last read (since {since_text}); they update when the cache is back."],
        color="warning", className="cache-banner",
    )
