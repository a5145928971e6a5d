"""App-shell pieces shared by every page (pure builders)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids


def navbar(links: list[tuple[str, str]], corner) -> dbc.Navbar:
    """The top bar: brand, page links (``(name, path)``) and the account ``corner``. Below the ``lg``
    breakpoint (phones, narrow windows) the links and corner fold behind a toggler button."""
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand([html.Span("●", className="brand-dot"), " Pulse"], href="/"),
                dbc.NavbarToggler([html.Span("☰", className="me-1", **{"aria-hidden": "true"}), "Menu"],
                                  id=ids.NAVBAR_TOGGLER, n_clicks=0, className="pulse-toggler"),
                dbc.Collapse(
                    [dbc.Nav([dbc.NavLink(name, href=path, active="exact") for name, path in links],
                             navbar=True, className="ms-auto"),
                     corner],
                    id=ids.NAVBAR_COLLAPSE, is_open=False, navbar=True,
                ),
            ],
            fluid=True,
        ),
        color="white",
        expand="lg",
        className="pulse-navbar border-bottom",
        id=ids.NAVBAR,
    )


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
