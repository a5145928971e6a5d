"""App-shell pieces shared by every page (pure builders)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids


def navbar(links: list[tuple[str, str]], corner) -> dbc.Navbar:
    """The top bar: brand, page links (``(name, path)``) and the account ``corner``. Below the ``xxl`` (1400 px)
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
                     as_of_picker(),
                     theme_toggle(),
                     corner],
                    id=ids.NAVBAR_COLLAPSE, is_open=False, navbar=True,
                ),
            ],
            fluid=True,
        ),
        expand="xxl",
        className="pulse-navbar border-bottom",
        id=ids.NAVBAR,
    )


def as_of_picker() -> html.Div:
    """The navbar's "as of" date: picking a day reloads the page with ``?as_of=YYYY-MM-DD`` (its cards
    as the KPI history recorded them that day); clearing it goes back to today."""
    return html.Div([
        dcc.DatePickerSingle(id=ids.AS_OF_PICKER, placeholder="As of today", clearable=True,
                             display_format="MMM D, YYYY", first_day_of_week=1, className="pulse-as-of"),
        dcc.Store(id=ids.AS_OF_NAV),
    ], className="d-flex align-items-center ms-xxl-3 my-2 my-xxl-0", title="Show the cards as they were on a past day")


def as_of_banner(day_text: str, today_path: str) -> dbc.Alert:
    """The banner of a page shown for a past day: ``Showing Oct 5, 2026 — back to today``."""
    return dbc.Alert([html.Strong(f"Showing {day_text}"), " — cards as recorded that day; a drill-down is recomputed for it "
                      "when you open one. ", html.A("Back to today", href=today_path, className="alert-link")],
                     color="info", className="py-2 mb-3 as-of-banner")


def theme_toggle() -> html.Div:
    """The light/dark switch in the navbar and the store that remembers the choice in this browser
    (``localStorage``); ``pages.shell`` applies it to the page (Bootstrap's ``data-bs-theme``) and the
    drill-down charts follow it."""
    return html.Div([
        dbc.Button("☾ Dark", id=ids.THEME_TOGGLE, size="sm", color="secondary", outline=True, n_clicks=0,
                   className="ms-xxl-3 my-2 my-xxl-0 pulse-theme-toggle", title="Switch between light and dark"),
        dcc.Store(id=ids.THEME_STORE, storage_type="local"),
        dcc.Store(id=ids.PRINT_DONE),
    ], className="d-flex align-items-center")


def export_button(page: str) -> dbc.Button:
    """A KPI page's "Export page" button: the browser's print dialog, where the print stylesheet
    (``assets/pulse.css``) lays the cards out for paper and "Save as PDF" makes the file."""
    return dbc.Button("⇩ Export page (PDF)", id=ids.page_export(page), size="sm", color="secondary", outline=True,
                      n_clicks=0, className="pulse-page-export d-print-none text-nowrap",
                      title="Print this page's cards or save them as a PDF")


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
