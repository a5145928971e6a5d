"""Pulse: build the Dash app, register pages, expose ``server`` (for gunicorn)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

import auth
from components import account, shell


def create_app(start_scheduler: bool = True) -> dash.Dash:
    """The Dash app. With ``start_scheduler`` and no Redis, refreshes run in-process (embedded mode).

    Raises:
        data_access.db.NotMigrated: Pulse's database is not at the migrations' head (the message
            gives the command that fixes it); nothing is served on it.
    """
    from data_access.db import check_migrated
    from data_access.runtime import get_runtime

    check_migrated(get_runtime().db())
    app = dash.Dash(
        __name__,
        use_pages=True,
        external_stylesheets=[],  # Bootstrap 5.3.9 is served from assets/ (no CDN: works offline)
        title="Pulse",
        update_title=None,
    )
    from api import api, health  # noqa: E402  (blueprint registration only)
    import pages.drilldown  # noqa: F401  (modal callbacks shared by all pages)
    import pages.shell  # noqa: F401  (cache banner)
    import pages.account  # noqa: F401  (navbar account corner)

    app.server.register_blueprint(api)
    app.server.register_blueprint(health)
    from data_access.view_cache import init_cache

    init_cache(app.server, get_runtime().settings)
    auth.init_app(app.server)  # sign-in, roles, same-origin writes (PULSE_AUTH_MODE)
    app.layout = lambda: html.Div(  # built per request: links, account corner and admin actions follow the user
        [
            shell.navbar([(p["name"], p["relative_path"]) for p in auth.visible_pages(dash.page_registry.values())
                         if not p.get("path_template")],
                         account.corner()),
            shell.cache_banner(),
            dbc.Container(dash.page_container, fluid=True, className="pulse-main"),
        ]
    )
    if start_scheduler:
        from worker import start_embedded

        start_embedded()
    return app


def __getattr__(name: str):
    """``app:server`` for gunicorn, built on first access (nothing runs at import)."""
    if name in ("app", "server"):
        global _APP
        if _APP is None:
            _APP = create_app()
        return _APP if name == "app" else _APP.server
    raise AttributeError(name)


_APP: dash.Dash | None = None

if __name__ == "__main__":
    from data_access.config import get_settings

    import sys

    from data_access.db import NotMigrated

    settings = get_settings()
    auth.check_bind(settings)  # PULSE_AUTH_MODE=none serves loopback only
    try:
        dash_app = create_app()
    except NotMigrated as e:
        sys.exit(f"Pulse will not start: {e}")
    dash_app.run(host=settings.host, port=settings.port, debug=False)
