"""Callbacks of the app shell (the banner shown on every page)."""
from __future__ import annotations

import datetime as dt

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback

from components import formatting, ids, shell
from data_access.runtime import get_runtime


@callback(Output(ids.NAVBAR_COLLAPSE, "is_open"), Input(ids.NAVBAR_TOGGLER, "n_clicks"),
          State(ids.NAVBAR_COLLAPSE, "is_open"), prevent_initial_call=True)
def toggle_navbar(_clicks, is_open):
    """The toggler (phones) opens and closes the folded page links."""
    return not is_open


@callback(Output(ids.CACHE_BANNER, "children"), Input(ids.BANNER_INTERVAL, "n_intervals"))
def show_cache_banner(_n):
    """A warning banner while the frame cache (Redis) is unreachable; nothing otherwise."""
    rt = get_runtime()
    if rt.cache_available:  # probes the cache (at most every few seconds)
        return None
    since = getattr(rt.store, "unavailable_since", None) or dt.datetime.now(dt.timezone.utc)
    return shell.cache_unavailable(formatting.local_time(since, rt.settings.timezone))


# Light / dark: the toggle flips the stored choice; the stored choice (also on load) sets Bootstrap's
# data-bs-theme on <html> and the toggle's label. Runs in the browser: no round trip.
clientside_callback(ClientsideFunction(namespace="pulse", function_name="toggleTheme"),
                    Output(ids.THEME_STORE, "data"), Input(ids.THEME_TOGGLE, "n_clicks"), State(ids.THEME_STORE, "data"),
                    prevent_initial_call=True)
clientside_callback(ClientsideFunction(namespace="pulse", function_name="applyTheme"),
                    Output(ids.THEME_TOGGLE, "children"), Input(ids.THEME_STORE, "data"))
# "Export page": the browser's print dialog (the print stylesheet lays out the cards; Save as PDF)
clientside_callback(ClientsideFunction(namespace="pulse", function_name="printPage"),
                    Output(ids.PRINT_DONE, "data"), Input(ids.page_export(ALL), "n_clicks"), prevent_initial_call=True)

# "As of": the picker follows the URL (on load too), and picking or clearing a day navigates to it
clientside_callback(ClientsideFunction(namespace="pulse", function_name="asOfFromUrl"),
                    Output(ids.AS_OF_PICKER, "date"), Input("_pages_location", "search"))
clientside_callback(ClientsideFunction(namespace="pulse", function_name="goAsOf"),
                    Output(ids.AS_OF_NAV, "data"), Input(ids.AS_OF_PICKER, "date"), prevent_initial_call=True)
