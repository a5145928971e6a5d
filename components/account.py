"""The navbar's account corner: the local-mode badge, or who is signed in (pure builders)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import ids

ROLE_LABEL = {"viewer": "Viewer", "manager": "Manager", "admin": "Admin"}


def corner() -> html.Div:
    """The navbar's (empty) account corner; a callback fills it per user (``pages/account.py``), so
    the layout Dash sends every browser never holds anyone's email."""
    return html.Div(id=ids.AUTH_CORNER, className="ms-3 d-flex align-items-center")


def local_mode_badge() -> dbc.Badge:
    """Shown in ``PULSE_AUTH_MODE=none``: everyone at this computer is the admin."""
    return dbc.Badge("local mode — no sign-in", color="warning", text_color="dark", pill=True,
                     className="auth-badge", id=ids.AUTH_BADGE,
                     title="PULSE_AUTH_MODE=none: one local admin, served on this computer only")


def user_menu(email: str, role: str, can_sign_out: bool) -> html.Div:
    """The signed-in user's email and role; a Sign out button (a same-origin POST) in password mode."""
    parts = [html.Span(email, className="auth-email"),
             dbc.Badge(ROLE_LABEL.get(role, role), color="light", text_color="dark", pill=True,
                       className="auth-role ms-2")]
    if can_sign_out:
        parts.append(html.Form(dbc.Button("Sign out", type="submit", size="sm", color="link",
                                          className="auth-signout", id=ids.AUTH_SIGNOUT),
                               method="post", action="/logout", className="d-inline ms-2"))
    return html.Div(parts, className="auth-user d-flex align-items-center", id=ids.AUTH_USER)


def account_area(user, mode: str):
    """The corner's content for ``user`` (``auth.User`` or ``None``) under auth ``mode``."""
    if mode == "none":
        return local_mode_badge()
    if user is None:
        return None
    return user_menu(user.email, user.role, mode == "password")
